"""The local decoder: model, KV cache, sampling, generation and checkpoint loading.

Most modules here import torch; the package itself does not (its names load on first use), so
:mod:`promptcraft.nn.catalog` and :mod:`promptcraft.nn.precision` stay cheap to import.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
