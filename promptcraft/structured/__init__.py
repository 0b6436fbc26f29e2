"""Typed output: constraints (choices, regex, JSON schema), constrained decoding on local
models, choices ranked by the model's probability, and ``generate_structured`` with
validation and retries on any backend (``generate_structured_batch`` for many prompts at
once on a batching backend).

Names are re-exported lazily, so importing the constraints never imports torch.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
