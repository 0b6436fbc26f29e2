"""The prompt engine: templates, the five kinds, example selection, chat messages, lint.

Names are imported lazily (PEP 562), so ``import promptcraft.prompts`` costs almost nothing
and never imports torch. See ``templates/README.md`` for the template language.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
