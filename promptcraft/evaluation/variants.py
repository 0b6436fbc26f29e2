"""The variant grid: templates × example selections × backends.

A :class:`Selection` says which examples a few-shot (or hybrid, reverse, chat) template
shows: ``first_k``, ``random_k`` (one variant per seed), ``similar_k`` (BM25 against the
query), ``within_budget`` (as many as fit in a token budget) or ``all``. Written on the
command line as ``strategy,k[,k...]``: ``first_k,0,1,2,4,8`` is five variants, a zero-shot
one among them; ``within_budget,200`` packs into 200 prompt tokens.

A selection applies only to templates that have examples; a template without examples (a
prefix prompt) is one variant whatever the selections.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..errors import EvaluationError
from ..prompts.promptfile import read_prompt_file
from ..prompts.specs import SelectSpec
from ..prompts.template import PromptTemplate

__all__ = [
    "SELECT_FORMS",
    "Selection",
    "Variant",
    "build_grid",
    "parse_selection",
    "with_selection",
]

Strategy = Literal["all", "first_k", "random_k", "similar_k", "within_budget"]
_STRATEGIES: tuple[str, ...] = ("all", "first_k", "random_k", "similar_k", "within_budget")
SELECT_FORMS = (
    "first_k,K[,K...], random_k,K[,K...] (one variant per --seed), similar_k,K[,K...], "
    "within_budget,TOKENS[,TOKENS...] or all"
)


class Selection(BaseModel):
    """How a variant picks its examples (see the module docs)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Strategy
    k: int | None = Field(default=None, ge=0)
    seed: int = 0
    max_prompt_tokens: int | None = Field(default=None, gt=0)

    @property
    def label(self) -> str:
        if self.strategy == "within_budget":
            return f"within_budget {self.max_prompt_tokens} tok"
        if self.strategy == "all":
            return "all"
        seed = f" seed={self.seed}" if self.strategy == "random_k" else ""
        return f"{self.strategy} k={self.k}{seed}"

    def spec(self, original: Any = None) -> SelectSpec:
        """The template setting for this selection; ``similar_k`` keeps the input and field
        the template's own ``select`` compared, if it named them."""
        compare: dict[str, Any] = {}
        if isinstance(original, SelectSpec):
            compare = {"input": original.input, "field": original.field}
        if self.strategy == "within_budget":
            return SelectSpec(strategy="within_budget", max_prompt_tokens=self.max_prompt_tokens)
        if self.strategy == "all":
            return SelectSpec(strategy="all")
        return SelectSpec(strategy=self.strategy, k=self.k, seed=self.seed, **compare)


def parse_selection(text: str, *, seeds: Sequence[int] = (0,)) -> list[Selection]:
    """The selections of one ``strategy,k[,k...]`` string; ``random_k`` gives one per seed."""
    strategy, *numbers = [part.strip() for part in text.split(",")]
    if strategy not in _STRATEGIES:
        raise EvaluationError(f"unknown selection strategy in {text!r}; use {SELECT_FORMS}")
    if strategy == "all":
        if numbers:
            raise EvaluationError(f"selection {text!r}: 'all' takes no numbers")
        return [Selection(strategy="all")]
    if not numbers:
        what = "a token budget" if strategy == "within_budget" else "k"
        raise EvaluationError(f"selection {text!r} needs {what}; use {SELECT_FORMS}")
    values = []
    for number in numbers:
        if not number.isdigit():
            raise EvaluationError(f"selection {text!r}: {number!r} is not a whole number >= 0")
        values.append(int(number))
    if strategy == "within_budget":
        if 0 in values:
            raise EvaluationError(f"selection {text!r}: a token budget must be above 0")
        return [Selection(strategy="within_budget", max_prompt_tokens=v) for v in values]
    if strategy == "random_k":
        if not seeds:
            raise EvaluationError(
                f"selection {text!r}: random_k makes one variant per seed, and no seeds were "
                "given; give at least one (seeds=[0] / --seeds 0)"
            )
        return [Selection(strategy="random_k", k=k, seed=s) for k in values for s in seeds]
    return [Selection(strategy=strategy, k=k) for k in values]  # type: ignore[arg-type]


class Variant(BaseModel):
    """One cell of the grid: a template with its selection, on one backend."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    template: PromptTemplate  # with the selection applied
    template_name: str
    selection: Selection | None = None  # None: the template's own select, as written
    backend: str = ""  # the backend's label; empty when the run has one backend

    @property
    def name(self) -> str:
        parts = [self.template_name]
        if self.selection is not None:
            parts.append(self.selection.label)
        if self.backend:
            parts.append(f"@ {self.backend}")
        return " ".join(parts)


def build_grid(
    templates: Sequence[tuple[str, PromptTemplate]],
    selections: Sequence[Selection],
    backends: Sequence[str] = ("",),
) -> list[Variant]:
    """Every (template, selection, backend) combination, in that nesting order. Templates
    without examples are taken as written. ``templates`` pairs each with its display name."""
    variants = []
    for backend in backends:
        for name, template in templates:
            if not selections or not template.examples:
                variants.append(Variant(template=template, template_name=name, backend=backend))
                continue
            for selection in selections:
                variants.append(
                    Variant(
                        template=with_selection(template, selection),
                        template_name=name,
                        selection=selection,
                        backend=backend,
                    )
                )
    return variants


def with_selection(template: PromptTemplate, selection: Selection) -> PromptTemplate:
    """A copy of ``template`` that picks its examples by ``selection``."""
    return PromptTemplate(
        template.body,
        name=template.name,
        kind=template.kind,
        description=template.description,
        inputs=template.inputs,
        examples=template.examples,
        select=selection.spec(template.select),
        layout=template.layout,
        defaults=template.defaults,
        output=template.output,
        samples=template.samples,
        normalize=template.normalize,
        search_path=template.search_path,
        limits=template.limits,
        source_path=template.source_path,
        first_line=_first_line(template),
    )


def unique_names(names: Iterable[str]) -> list[str]:
    """Names made unique by suffixing repeats: ``a``, ``a#2``, ``a#3`` (skipping a suffix
    that is already some other name)."""
    given = list(names)
    taken: set[str] = set()
    out = []
    for name in given:
        unique, n = name, 1
        while unique in taken or (unique != name and unique in given):
            n += 1
            unique = f"{name}#{n}"
        taken.add(unique)
        out.append(unique)
    return out


def _first_line(template: PromptTemplate) -> int:
    """The file line the body starts on, so errors in the copy point at the file's lines."""
    path = template.source_path
    if path is None or path.suffix != ".prompt" or not path.is_file():
        return 1
    try:
        return read_prompt_file(path).front.body_line
    except Exception:  # the file changed since; line numbers are a courtesy here
        return 1
