"""Tuning the local model: prompt tuning, prefix tuning and partial or full fine-tuning,
saved as small adapters that :class:`~promptcraft.backends.local.LocalBackend` serves.

Start with :func:`tune`. Names are imported lazily: this package imports torch only when a
name that needs it is used.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
