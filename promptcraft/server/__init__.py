"""``promptcraft serve``: an OpenAI-compatible HTTP server over a promptcraft backend.

Any OpenAI client (the ``openai`` package, curl, :class:`promptcraft.backends` itself) can
use the local model through it. Needs the ``serve`` extra (starlette and uvicorn), which only
:mod:`.app` and :func:`serve` import, so ``import promptcraft.server`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Scheduler": "promptcraft.server.scheduler",
    "SchedulerStats": "promptcraft.server.scheduler",
    "ServerSettings": "promptcraft.server.settings",
    "create_app": "promptcraft.server.app",
    "serve": "promptcraft.server.run",
}

__all__ = ["Scheduler", "SchedulerStats", "ServerSettings", "create_app", "serve"]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .app import create_app
    from .run import serve
    from .scheduler import Scheduler, SchedulerStats
    from .settings import ServerSettings
