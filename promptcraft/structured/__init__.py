"""Typed output: constraints (choices, regex, JSON schema), constrained decoding on local
models, and ``generate_structured`` with validation and retries on any backend.

Names are re-exported lazily, so importing the constraints never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

_EXPORTS: dict[str, str] = {
    "Constraint": "promptcraft.structured.constraints",
    "Choices": "promptcraft.structured.constraints",
    "Regex": "promptcraft.structured.constraints",
    "JsonSchema": "promptcraft.structured.constraints",
    "JSON_WHITESPACE": "promptcraft.structured.constraints",
    "as_constraint": "promptcraft.structured.constraints",
    "choices": "promptcraft.structured.constraints",
    "regex": "promptcraft.structured.constraints",
    "json_schema": "promptcraft.structured.constraints",
    "TokenAutomaton": "promptcraft.structured.automaton",
    "compile_constraint": "promptcraft.structured.automaton",
    "StructuredResult": "promptcraft.structured.generate",
    "generate_structured": "promptcraft.structured.generate",
    "agenerate_structured": "promptcraft.structured.generate",
    "generate_structured_result": "promptcraft.structured.generate",
    "agenerate_structured_result": "promptcraft.structured.generate",
}

__all__ = [
    "JSON_WHITESPACE",
    "Choices",
    "Constraint",
    "JsonSchema",
    "Regex",
    "StructuredResult",
    "TokenAutomaton",
    "agenerate_structured",
    "agenerate_structured_result",
    "as_constraint",
    "choices",
    "compile_constraint",
    "generate_structured",
    "generate_structured_result",
    "json_schema",
    "regex",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .automaton import TokenAutomaton, compile_constraint
    from .constraints import (
        JSON_WHITESPACE,
        Choices,
        Constraint,
        JsonSchema,
        Regex,
        as_constraint,
        choices,
        json_schema,
        regex,
    )
    from .generate import (
        StructuredResult,
        agenerate_structured,
        agenerate_structured_result,
        generate_structured,
        generate_structured_result,
    )
