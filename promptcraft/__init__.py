"""promptcraft: prompt engineering and simple agents.

The public API is re-exported here lazily (PEP 562), so ``import promptcraft`` and
template rendering never pay torch's start-up cost: a name's module is imported on first use.
"""

from .utils.lazy_exports import attach_stub as _attach_stub

__version__ = "0.1.0"

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
__all__ = ["__version__", *__all__]
