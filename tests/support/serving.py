"""Run ``promptcraft serve`` as a subprocess for tests, on a free loopback port.

Reusable from any test directory::

    from support.serving import model_dir_to_serve, running_server

    with running_server(model_dir, log_path=tmp_path / "server.log") as server:
        httpx.get(f"{server.base_url}/models")

The server picks its own port (``--port 0``) and prints its URL, so parallel test runs never
race for a port. It runs with one torch thread, since test machines are shared.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from support.tiny_chat_model import build_tiny_model

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_MODEL_DIR = REPO_ROOT / "models" / "pc-tiny"

_ANNOUNCEMENT = re.compile(r"promptcraft serve: (\S+) at (http://\S+/v1)")


@dataclass(frozen=True)
class RunningServer:
    """A live server: where it listens, what it serves, and its log."""

    base_url: str  # http://127.0.0.1:PORT/v1, what OpenAI clients take as base_url
    root_url: str  # http://127.0.0.1:PORT, where /health and /metrics are
    model: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def model_dir_to_serve(scratch: Path) -> Path:
    """The bundled model when it is present, else a tiny random model saved under
    ``scratch`` (the one the backend tests build)."""
    if (BUNDLED_MODEL_DIR / "config.json").is_file():
        return BUNDLED_MODEL_DIR
    path = scratch / "tiny-llama"
    if not (path / "config.json").is_file():
        build_tiny_model(path)
    return path


@contextlib.contextmanager
def running_server(
    model_dir: Path | str,
    *,
    log_path: Path,
    args: Sequence[str] = (),
    api_key: str | None = None,
    startup_timeout: float = 180.0,
) -> Iterator[RunningServer]:
    """Start a server of ``model_dir`` (a checkpoint or a catalog model's name), wait until
    ``/health`` answers, and stop it on exit. ``api_key`` is passed through the environment,
    as a careful user would, not on the command line."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("PROMPTCRAFT_API_KEY", None)
    if api_key is not None:
        env["PROMPTCRAFT_API_KEY"] = api_key
    command = [
        sys.executable,
        "-m",
        "promptcraft",
        "serve",
        "--model",
        str(model_dir),
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--threads",
        "1",
        *args,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=REPO_ROOT
        )
    try:
        model, base_url = _wait_for_announcement(process, log_path, startup_timeout)
        root_url = base_url.removesuffix("/v1")
        _wait_for_health(process, root_url, log_path, startup_timeout)
        yield RunningServer(base_url, root_url, model, process, log_path)
    finally:
        stop(process)


def stop(process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    """SIGINT (uvicorn's graceful shutdown), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def post_chat(client: httpx.Client, server: RunningServer, **fields: Any) -> dict[str, Any]:
    """A chat completion of the body ``fields`` (greedy and 8 tokens unless they say
    otherwise); it must be answered with 200."""
    body = {"model": server.model, "max_tokens": 8, "temperature": 0, **fields}
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def sse_events(response: httpx.Response) -> list[Any]:
    """The JSON payloads of a server-sent-event stream, and "[DONE]" where it came."""
    events: list[Any] = []
    for line in response.iter_lines():
        if not line:
            continue
        assert line.startswith("data: "), line
        payload = line.removeprefix("data: ")
        events.append(payload if payload == "[DONE]" else json.loads(payload))
    return events


def _wait_for_announcement(
    process: subprocess.Popen[bytes], log_path: Path, timeout: float
) -> tuple[str, str]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = _ANNOUNCEMENT.search(log_path.read_text(encoding="utf-8", errors="replace"))
        if found:
            return found.group(1), found.group(2)
        if process.poll() is not None:
            raise RuntimeError(f"promptcraft serve exited early:\n{log_path.read_text()}")
        time.sleep(0.05)
    raise RuntimeError(f"promptcraft serve did not start in {timeout}s:\n{log_path.read_text()}")


def _wait_for_health(
    process: subprocess.Popen[bytes], root_url: str, log_path: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"promptcraft serve exited early:\n{log_path.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{root_url}/health", timeout=5.0).status_code == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"{root_url}/health did not answer in {timeout}s:\n{log_path.read_text()}")
