"""Starting the server: bind the socket, build the app, run it under uvicorn.

starlette and uvicorn (the ``serve`` extra) are imported here, when a server starts, so
``import promptcraft`` never pays for them.
"""

from __future__ import annotations

import copy
import importlib.util
import ipaddress
import logging
import signal
import socket
import threading
from collections.abc import Callable

from ..backends.base import Backend
from ..errors import PromptcraftError
from .settings import ServerSettings

__all__ = ["bind_socket", "require_serve_extra", "serve"]

log = logging.getLogger("promptcraft.server")


def require_serve_extra() -> None:
    """Raise a :class:`PromptcraftError` saying how to install what the server needs."""
    missing = [name for name in ("starlette", "uvicorn") if importlib.util.find_spec(name) is None]
    if missing:
        raise PromptcraftError(
            f"`promptcraft serve` needs the serve extra ({', '.join(missing)} not installed): "
            "pip install 'promptcraft[serve]'"
        )


def serve(
    backend: Backend,
    settings: ServerSettings,
    *,
    host: str = "127.0.0.1",
    port: int = 8000,
    log_level: str = "info",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``backend`` until interrupted (Ctrl-C or SIGTERM). ``port=0`` picks a free port;
    ``on_ready`` gets the API's base URL (``http://HOST:PORT/v1``) once the socket is bound."""
    require_serve_extra()
    import uvicorn

    from .app import create_app

    sock = bind_socket(host, port)
    bound_port = sock.getsockname()[1]
    if not _is_loopback(host) and settings.api_key is None:
        log.warning(
            "serving on %s without --api-key: anyone who can reach this address can use the model",
            host,
        )
    app = create_app(backend, settings, engine_thread=False)
    config = uvicorn.Config(
        app,
        host=host,
        port=bound_port,
        log_level=log_level,
        log_config=_log_config(),
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    # HTTP runs on a thread; the model computes on this one (the main thread), where torch
    # computes fastest (see BatchEngine.work_here). Signals reach the main thread only, so
    # SIGINT and SIGTERM stop the server from here, as KeyboardInterrupt. (SIGINT is set
    # explicitly: a shell starts a background job with it ignored.)
    http = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name="promptcraft-serve-http"
    )
    previous = {sig: signal.signal(sig, _interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    http.start()
    if on_ready is not None:
        shown = f"[{host}]" if ":" in host else host
        on_ready(f"http://{shown}:{bound_port}/v1")
    try:
        app.state.scheduler.work_here(running=http.is_alive)
    finally:
        app.state.scheduler.close()  # streams still open end now, with an error event
        server.should_exit = True
        http.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port``; a clear error if the port is taken."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError as exc:
        raise PromptcraftError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _log_config() -> dict[str, object]:
    """uvicorn's logging, with the server's own messages (cancellations, failures) shown the
    same way."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["promptcraft"] = {
        "handlers": ["default"],
        "level": "INFO",
        "propagate": False,
    }
    return config
