"""Choosing which examples a few-shot prompt shows.

Examples are data: mappings of field name to value, rendered through the example format and
never parsed as template text. A selector picks and orders them for each render; the built-in
ones are ``all``, ``first_k``, ``random_k`` (seeded, so the same for every render), and
``similar_k`` (BM25, or any :class:`~.similarity.SimilarityScorer`). Any of them can then be
packed into a token budget by :func:`select_examples_within_budget`.

Write your own selector by implementing :class:`ExampleSelector`; set ``static = True`` on it
when its choice does not depend on the inputs, so a template computes it once.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

from ..errors import TokenBudgetError
from .similarity import BM25, SimilarityScorer
from .specs import SelectSpec

__all__ = [
    "AllExamples",
    "Example",
    "ExampleSelector",
    "FirstK",
    "RandomK",
    "SimilarK",
    "dedupe_examples",
    "select_examples_within_budget",
    "selector_from_spec",
    "similar_k_problem",
]

Example = Mapping[str, Any]


@runtime_checkable
class ExampleSelector(Protocol):
    """Picks and orders examples for one render."""

    def select(self, examples: Sequence[Example], inputs: Mapping[str, Any]) -> list[Example]: ...


class AllExamples:
    """Every example, in order."""

    static = True

    def select(self, examples: Sequence[Example], inputs: Mapping[str, Any]) -> list[Example]:
        return list(examples)


class FirstK:
    """The first ``k`` examples."""

    static = True

    def __init__(self, k: int) -> None:
        self.k = k

    def select(self, examples: Sequence[Example], inputs: Mapping[str, Any]) -> list[Example]:
        return list(examples[: self.k])


class RandomK:
    """``k`` examples drawn with a seeded generator, kept in their original order."""

    static = True

    def __init__(self, k: int, seed: int = 0) -> None:
        self.k = k
        self.seed = seed

    def select(self, examples: Sequence[Example], inputs: Mapping[str, Any]) -> list[Example]:
        picked = random.Random(self.seed).sample(range(len(examples)), min(self.k, len(examples)))
        return [examples[i] for i in sorted(picked)]


class SimilarK:
    """The ``k`` examples whose ``field`` is most similar to the value of input ``input``,
    most similar first (ties keep the original order)."""

    static = False

    def __init__(
        self, k: int, *, input: str, field: str, scorer: SimilarityScorer | None = None
    ) -> None:
        self.k = k
        self.input = input
        self.field = field
        self.scorer: SimilarityScorer = scorer or BM25()

    def select(self, examples: Sequence[Example], inputs: Mapping[str, Any]) -> list[Example]:
        query = str(inputs.get(self.input, ""))
        documents = [str(example.get(self.field, "")) for example in examples]
        scores = self.scorer.scores(query, documents)
        order = sorted(range(len(examples)), key=lambda i: (-scores[i], i))
        return [examples[i] for i in order[: self.k]]


def selector_from_spec(
    spec: SelectSpec, *, input: str | None = None, field: str | None = None
) -> ExampleSelector:
    """The selector a :class:`SelectSpec` describes. ``input`` and ``field`` are the defaults
    for ``similar_k`` when the spec names neither."""
    k = spec.k if spec.k is not None else 0
    if spec.strategy == "first_k":
        return FirstK(k)
    if spec.strategy == "random_k":
        return RandomK(k, spec.seed)
    if spec.strategy == "similar_k":
        query = spec.input or input
        compared = spec.field or field or query
        if query is None or compared is None:
            raise ValueError("similar_k needs select.input (the input to compare) and field")
        return SimilarK(k, input=query, field=compared)
    return AllExamples()


def similar_k_problem(
    spec: SelectSpec,
    inputs: Collection[str],
    examples: Sequence[Example],
    query_key: str,
) -> tuple[str, str] | None:
    """``(key, message)`` when a ``similar_k`` spec compares an input that is not declared or a
    field that no example has (every query would score zero, so the choice would be the first
    ``k``); ``key`` is the ``select`` field at fault. ``inputs`` empty: not declared, so not
    checked."""
    if spec.strategy != "similar_k":
        return None
    query = spec.input or query_key
    if inputs and query not in inputs:
        return "input", (
            f"similar_k compares input {query!r}, which is not a declared input "
            f"({', '.join(inputs)}); set select.input"
        )
    compared = spec.field or query_key
    if examples and not any(compared in example for example in examples):
        fields = sorted({key for example in examples for key in example})
        return "field", (
            f"similar_k compares field {compared!r}, which no example has "
            f"(fields: {', '.join(map(str, fields))}); set select.field"
        )
    return None


def dedupe_examples(examples: Iterable[Example]) -> list[dict[str, Any]]:
    """Examples with exact duplicates (same fields, same values) removed; first one kept."""
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for example in examples:
        key = json.dumps(example, sort_keys=True, default=repr, ensure_ascii=False)
        if key not in seen:
            seen.add(key)
            unique.append(dict(example))
    return unique


def select_examples_within_budget(
    candidates: Sequence[Example],
    count_tokens: Callable[[Sequence[Example]], int],
    max_prompt_tokens: int,
) -> list[Example]:
    """Pack whole examples, in candidate order, while the prompt stays within budget.

    ``count_tokens(examples)`` must render the *full* prompt with those examples and count its
    tokens with the target tokenizer, so the count is exact (token boundaries between an
    example and its neighbours make per-example sums approximate). An example that does not
    fit is skipped and later, shorter ones are still tried. The instruction and query are never
    cut: if they alone exceed the budget, :class:`TokenBudgetError` says by how much
    (``.prompt_tokens`` and ``.max_prompt_tokens`` carry the numbers)."""
    base = count_tokens([])
    if base > max_prompt_tokens:
        error = TokenBudgetError(
            f"the prompt needs {base} tokens with zero examples, over the budget of "
            f"{max_prompt_tokens} (max_prompt_tokens); shorten the inputs or raise the budget"
        )
        error.prompt_tokens = base  # type: ignore[attr-defined]
        error.max_prompt_tokens = max_prompt_tokens  # type: ignore[attr-defined]
        raise error
    chosen: list[Example] = []
    for example in candidates:
        trial = [*chosen, example]
        if count_tokens(trial) <= max_prompt_tokens:
            chosen = trial
    return chosen
