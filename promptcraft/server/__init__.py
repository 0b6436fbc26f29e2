"""``promptcraft serve``: an OpenAI-compatible HTTP server over a promptcraft backend.

Any OpenAI client (the ``openai`` package, curl, :class:`promptcraft.backends` itself) can
use the local model through it. Needs the ``serve`` extra (starlette and uvicorn), which only
:mod:`.app` and :func:`serve` import, so ``import promptcraft.server`` stays light.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
