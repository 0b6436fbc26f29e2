"""promptcraft: prompt engineering and simple agents.

The public API is re-exported here lazily (PEP 562), so ``import promptcraft`` and
template rendering never pay torch's start-up cost.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "PromptcraftError": "promptcraft.errors",
    "PromptError": "promptcraft.errors",
    "TemplateSyntaxError": "promptcraft.errors",
    "TemplateNotFoundError": "promptcraft.errors",
    "MissingInputError": "promptcraft.errors",
    "InputValidationError": "promptcraft.errors",
    "TemplateSecurityError": "promptcraft.errors",
    "TokenBudgetError": "promptcraft.errors",
    "TokenizerError": "promptcraft.errors",
    "ModelLoadError": "promptcraft.errors",
    "BackendError": "promptcraft.errors",
    "ContextLengthError": "promptcraft.errors",
    # tokenizers
    "Tokenizer": "promptcraft.tokenizer",
    "get_tokenizer": "promptcraft.tokenizer",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'promptcraft' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .errors import (
        BackendError,
        ContextLengthError,
        InputValidationError,
        MissingInputError,
        ModelLoadError,
        PromptcraftError,
        PromptError,
        TemplateNotFoundError,
        TemplateSecurityError,
        TemplateSyntaxError,
        TokenBudgetError,
        TokenizerError,
    )
    from .tokenizer import Tokenizer, get_tokenizer
