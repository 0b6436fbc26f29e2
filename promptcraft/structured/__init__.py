"""Typed output: constraints (choices, regex, JSON schema), constrained decoding on local
models, choices ranked by the model's probability, and ``generate_structured`` with
validation and retries on any backend (``generate_structured_batch`` for many prompts at
once on a batching backend).

Names are re-exported lazily, so importing the constraints never imports torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

_EXPORTS: dict[str, str] = {
    "Constraint": "promptcraft.structured.constraints",
    "Choices": "promptcraft.structured.constraints",
    "DEFAULT_RANK_BY": "promptcraft.structured.constraints",
    "ChoiceRanker": "promptcraft.structured.ranking",
    "ChoiceRanking": "promptcraft.structured.ranking",
    "OptionScore": "promptcraft.structured.ranking",
    "schema_outline": "promptcraft.structured.outline",
    "StructuredJob": "promptcraft.structured.batch",
    "generate_structured_batch": "promptcraft.structured.batch",
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
    "DEFAULT_RANK_BY",
    "JSON_WHITESPACE",
    "ChoiceRanker",
    "ChoiceRanking",
    "Choices",
    "Constraint",
    "JsonSchema",
    "OptionScore",
    "Regex",
    "StructuredJob",
    "StructuredResult",
    "TokenAutomaton",
    "agenerate_structured",
    "agenerate_structured_result",
    "as_constraint",
    "choices",
    "compile_constraint",
    "generate_structured",
    "generate_structured_batch",
    "generate_structured_result",
    "json_schema",
    "regex",
    "schema_outline",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .automaton import TokenAutomaton, compile_constraint
    from .batch import StructuredJob, generate_structured_batch
    from .constraints import (
        DEFAULT_RANK_BY,
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
    from .outline import schema_outline
    from .ranking import ChoiceRanker, ChoiceRanking, OptionScore
