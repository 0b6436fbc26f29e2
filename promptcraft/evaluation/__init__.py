"""Prompt evaluation: compare prompt variants, example selections and backends on a dataset.

Start with :func:`evaluate` (or ``promptcraft eval`` on the command line); it returns an
:class:`EvalReport` to print, chart and save. Names are imported lazily, so importing this
package costs nothing until it is used (and never imports torch by itself).
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
