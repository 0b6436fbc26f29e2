"""``promptcraft serve``: an OpenAI-compatible HTTP server over a promptcraft backend.

Any OpenAI client (the ``openai`` package, curl, :class:`promptcraft.backends` itself) can
use the local model through it. Needs the ``serve`` extra (starlette and uvicorn), which only
:mod:`.app` and :func:`serve` import, so ``import promptcraft.server`` stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Scheduler": "promptcraft.server.scheduler",
    "SchedulerStats": "promptcraft.server.scheduler",
    "ServerSettings": "promptcraft.server.settings",
    "create_app": "promptcraft.server.app",
    "serve": "promptcraft.server.run",
}

__all__ = ["Scheduler", "SchedulerStats", "ServerSettings", "create_app", "serve"]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'promptcraft.server' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .app import create_app
    from .run import serve
    from .scheduler import Scheduler, SchedulerStats
    from .settings import ServerSettings
