"""Backends: one interface (:class:`Backend`) over the local decoder and remote
OpenAI-compatible servers. Start with :func:`load_backend`.

Names are imported lazily (PEP 562): ``import promptcraft.backends`` never imports torch;
only touching :class:`LocalBackend` (or loading a local model) does.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
