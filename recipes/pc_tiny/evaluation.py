"""Held-out evaluation sets of the curriculum, run through the public template API.

Each :class:`EvalItem` holds a template built the way a user builds it (a kind class with
its examples, or the bundled ``tool_protocol``), the inputs to render it with, and the
expected answer. An evaluation renders ``item.template`` (``render`` for text kinds,
``render_messages`` for chat, or ``tmpl.run(backend, **item.inputs)``), generates greedily,
and compares with :func:`check_answer`. No answer contains a newline, so ``"\\n"`` is a
safe extra stop string for text kinds. Tool items run through :func:`run_tool_episode` with
``item.table`` as what ``lookup`` knows; :meth:`EvalItem.check_episode` scores them.

Items are drawn with their own seeds (``promptcraft-eval/...``), apart from every training
stream. ``wording="heldout"`` uses only instruction wordings, labels, system prompts and tool
questions that training never sees; ``wording="train"`` uses training wordings on new
instances.
"""

from __future__ import annotations

import functools
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from promptcraft.prompts import PromptTemplate

from .catalog import EVALUATED_FAMILIES, TEXT_FAMILIES, TOOL_FAMILIES, kinds_of
from .family import Split
from .generate import compose
from .rendering import PromptSpec, build_prompt
from .sample import SAMPLE_KINDS, SampleKind
from .tool_protocol import (
    ToolEpisode,
    plan_steps,
    run_tool_episode,
    tool_protocol_template,
    wrong_action,
)
from .tool_runtime import TOOL_SPECS, run_action
from .word_problems import draw_tool_problem

__all__ = ["EVAL_SHOTS", "EvalItem", "EvalSuite", "check_answer", "eval_suites"]

# The k evaluated per kind (chance at k=0 for the in-context families is part of the table).
EVAL_SHOTS: dict[SampleKind, tuple[int, ...]] = {
    "prefix": (0,),
    "few_shot": (0, 1, 2, 4, 6),
    "hybrid": (2,),
    "reverse": (0, 2),
    "chat": (0, 2),
    "tool": (0,),
}
# Tool questions whose first call already failed, as the evaluation's given steps: the model
# must answer the error observation with a corrected call.
TOOL_RECOVERY = "tool_recovery"


def check_answer(output: str, expected: str) -> bool:
    """Exact match after stripping surrounding whitespace."""
    return output.strip() == expected.strip()


class EvalItem(BaseModel):
    """One evaluation prompt: render ``template`` with ``inputs``, expect ``expected``.
    ``instruction`` is its prompt's instruction (Jinja source; for a prefix prompt, the
    family's wording), empty when it has none. Tool items also carry ``table`` (what
    ``lookup`` knows) and ``expected_observations`` (the results of the correct calls, in
    order)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    family: str
    kind: SampleKind
    k: int
    wording: Split
    template: PromptTemplate
    inputs: dict[str, Any]
    expected: str
    instruction: str = ""
    table: dict[str, str] = {}
    expected_observations: list[str] = []

    def check(self, output: str) -> bool:
        return check_answer(output, self.expected)

    def run_tool(self, generate: Callable[[str], str], *, max_steps: int = 6) -> ToolEpisode:
        """Run a tool item with ``generate(prompt) -> completion``."""
        return run_tool_episode(
            generate, self.template, self.inputs, self.table, max_steps=max_steps
        )

    def check_episode(self, episode: ToolEpisode) -> tuple[bool, bool]:
        """(every call was right: its result is the expected one, in order; the final
        answer is right)."""
        calls_ok = episode.observations == self.expected_observations
        answer_ok = episode.answer is not None and check_answer(episode.answer, self.expected)
        return calls_ok, answer_ok


class EvalSuite(BaseModel):
    """The items of one (family, kind, k, wording split)."""

    model_config = ConfigDict(frozen=True)

    family: str
    kind: SampleKind
    k: int
    wording: Split
    items: list[EvalItem]

    @property
    def name(self) -> str:
        return f"{self.family}/{self.kind}/k={self.k}/{self.wording}"


def eval_suites(
    *,
    n: int = 50,
    seed: int = 0,
    families: Iterable[str] | None = None,
    kinds: Iterable[SampleKind] | None = None,
    shots: Iterable[int] | None = None,
    wordings: Iterable[Split] = ("train", "heldout"),
) -> list[EvalSuite]:
    """``n`` items for every (family, kind, k in :data:`EVAL_SHOTS`, wording split) the
    filters allow. Families include ``tool_recovery`` (tool questions after a failed call)
    and leave out drills (the training log reports those)."""
    wanted_families = [*EVALUATED_FAMILIES, TOOL_RECOVERY] if families is None else list(families)
    wanted_kinds = set(kinds) if kinds is not None else set(SAMPLE_KINDS)
    wanted_shots = set(shots) if shots is not None else None
    suites = []
    for family in wanted_families:
        family_kinds = {"tool"} if family == TOOL_RECOVERY else kinds_of(family)
        for kind in SAMPLE_KINDS:
            if kind not in family_kinds or kind not in wanted_kinds:
                continue
            for k in EVAL_SHOTS[kind]:
                if wanted_shots is not None and k not in wanted_shots:
                    continue
                for wording in wordings:
                    items = [
                        _item(family, kind, k, wording, _rng(seed, family, kind, k, wording, i))
                        for i in range(n)
                    ]
                    suites.append(
                        EvalSuite(family=family, kind=kind, k=k, wording=wording, items=items)
                    )
    return suites


def _rng(seed: int, *parts: Any) -> random.Random:
    return random.Random("promptcraft-eval/" + "/".join(map(str, (seed, *parts))))


def _item(family: str, kind: SampleKind, k: int, wording: Split, rng: random.Random) -> EvalItem:
    if kind == "tool":
        return _tool_item(family, wording, rng)
    source = TEXT_FAMILIES[family]
    composed = compose(kind, source, source.task(rng, k), rng, wording)
    template = (
        build_prompt(composed.spec, composed.demos)
        if composed.demos
        else _shared_prompt(composed.spec)
    )
    return EvalItem(
        family=family,
        kind=kind,
        k=k,
        wording=wording,
        template=template,
        inputs=composed.inputs,
        expected=composed.answer,
        instruction=composed.meta["instruction"] or "",
    )


@functools.lru_cache(maxsize=1024)
def _shared_prompt(spec: PromptSpec) -> PromptTemplate:
    """A template without examples is reused across items, as a user would."""
    return build_prompt(spec)


def _tool_item(family: str, wording: Split, rng: random.Random) -> EvalItem:
    source = rng.choice(TOOL_FAMILIES) if family == TOOL_RECOVERY else family
    problem = draw_tool_problem(source, rng, wording)
    actions, observations = plan_steps(problem)
    steps: list[Mapping[str, Any]] = []
    if family == TOOL_RECOVERY:
        bad = wrong_action(actions[0], rng, problem.tools)
        steps = [{"action": bad, "observation": run_action(bad, problem.table, problem.tools)}]
    return EvalItem(
        family=family,
        kind="tool",
        k=0,
        wording=wording,
        template=tool_protocol_template(),
        inputs={
            "question": problem.question,
            "tools": [TOOL_SPECS[t] for t in problem.tools],
            "steps": steps,
        },
        expected=observations[-1],
        table=problem.table,
        expected_observations=observations,
    )
