"""Training samples: drawn from the mixture, rendered through the template engine.

Every sample has its own generator, seeded from ``(split, seed, index)``, so a stream is
reproducible, ``generate_samples(n, start=i)`` continues it at sample ``i`` (shard it across
workers that way), and the ``heldout`` split never repeats a ``train`` draw. The
``heldout`` split also uses only the held-out instruction wordings, labels, system prompts
and tool questions, which training never sees.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .catalog import TEXT_FAMILIES, kinds_of
from .chat_format import END_OF_TURN
from .family import Family, Split, Task, Wordings
from .formats import REVERSE_INSTRUCTIONS, SYSTEM_PROMPTS, draw_format, frame_instruction
from .mixture import DEFAULT_MIXTURE, Mixture
from .rendering import PromptSpec, render_inputs, render_reusable
from .sample import SAMPLE_KINDS, Sample, SampleKind, Segment
from .tool_protocol import tool_transcript
from .word_problems import draw_tool_problem

__all__ = ["Composed", "compose", "corpus_text", "generate_samples"]


@dataclass
class Composed:
    """A task laid out as one prompt: its spec, examples, render inputs and answer."""

    spec: PromptSpec
    demos: list[dict[str, str]]
    query: str
    answer: str
    variables: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def inputs(self) -> dict[str, Any]:
        """The render inputs of :func:`~.rendering.build_prompt`'s template."""
        return render_inputs(self.spec, self.query, self.variables)


def generate_samples(
    n: int,
    *,
    seed: int,
    split: Split = "train",
    families: Iterable[str] | None = None,
    kinds: Iterable[SampleKind] | None = None,
    mixture: Mixture | None = None,
    start: int = 0,
) -> Iterator[Sample]:
    """``n`` samples (indices ``start`` to ``start + n - 1``) of ``split``, drawn from
    ``mixture`` (default :data:`~.mixture.DEFAULT_MIXTURE`) restricted to ``families`` and
    ``kinds``."""
    mix = mixture or DEFAULT_MIXTURE
    cells, weights = _cells(mix, families, kinds)
    for index in range(start, start + n):
        rng = random.Random(f"promptcraft-curriculum/{split}/{seed}/{index}")
        kind, family = rng.choices(cells, weights)[0]
        yield make_sample(kind, family, rng, split, mix)


def corpus_text(n: int, seed: int, *, split: Split = "train") -> str:
    """Plain text of ``n`` samples (prompt and completion, a blank line between samples),
    for training the tokenizer. It contains the chat special tokens as text."""
    return "\n\n".join(s.text for s in generate_samples(n, seed=seed, split=split))


def make_sample(
    kind: SampleKind, family: str, rng: random.Random, split: Split, mixture: Mixture
) -> Sample:
    """One sample of ``family`` rendered as ``kind``."""
    if kind == "tool":
        problem = draw_tool_problem(family, rng, split)
        prompt, segments, answer = tool_transcript(problem, rng, error_rate=mixture.tool_error_rate)
        return Sample(
            family=family,
            kind=kind,
            k=0,
            split=split,
            prompt=prompt,
            completion="".join(s.text for s in segments[1:]),
            segments=tuple(segments),
            answer=answer,
            query=problem.question,
            meta={"table": problem.table, "tools": problem.tools},
        )
    shots = mixture.shots[kind]
    k = rng.choices(list(shots), list(shots.values()))[0]
    source = TEXT_FAMILIES[family]
    composed = compose(
        kind, source, source.task(rng, k), rng, split, vary=True, word_dropout=mixture.word_dropout
    )
    prompt = render_reusable(composed.spec, composed.query, composed.variables, composed.demos)
    completion = composed.answer + END_OF_TURN if kind == "chat" else " " + composed.answer
    return Sample(
        family=family,
        kind=kind,
        k=k,
        split=split,
        prompt=prompt,
        completion=completion,
        segments=(Segment(text=prompt, trainable=False), Segment(text=completion, trainable=True)),
        answer=composed.answer,
        query=composed.query,
        meta=composed.meta,
    )


def compose(
    kind: str,
    family: Family,
    task: Task,
    rng: random.Random,
    split: Split,
    *,
    vary: bool = False,
    word_dropout: float = 0.0,
) -> Composed:
    """Lay ``task`` out as a prompt of ``kind`` with wordings and labels from ``split``.
    ``vary`` (the training stream) adds paraphrased wordings, with ``word_dropout``
    (:func:`~.paraphrase.drop_word`), and a wider label vocabulary; evaluation leaves it
    off, so its items keep the listed wordings and labels."""
    wording = _Wording(rng, split, vary, word_dropout)
    demos = [{"input": i, "output": o} for i, o in task.demos]
    query, answer = task.query, task.answer
    if kind == "prefix":
        instruction = wording.instruction(family)
        fmt = draw_format(rng, split, unlabelled_input=0.3, vary=vary)
        spec = PromptSpec("prefix", instruction, fmt)
    elif kind == "few_shot":
        spec = PromptSpec("few_shot", "", draw_format(rng, split, vary=vary))
    elif kind == "hybrid":
        instruction = wording.instruction(family)
        spec = PromptSpec("hybrid", instruction, draw_format(rng, split, vary=vary))
    elif kind == "reverse":
        instruction = wording.reverse_instruction(family, bool(demos))
        spec = PromptSpec("reverse", instruction, draw_format(rng, split, vary=vary))
        query, answer = answer, query
    elif kind == "chat":
        spec = wording.chat_spec(family, bool(demos))
    else:
        raise ValueError(f"unknown prompt kind {kind!r}")
    meta: dict[str, Any] = {**task.meta, "instruction": spec.instruction}
    if spec.fmt is not None:
        meta["labels"] = [spec.fmt.input_label, spec.fmt.output_label]
    if spec.request is not None:
        meta["request"] = spec.request
    return Composed(spec, demos, query, answer, task.variables, meta)


@dataclass(frozen=True)
class _Wording:
    """Draws one prompt's instructions: listed wordings of ``split``, paraphrased when
    ``vary``."""

    rng: random.Random
    split: Split
    vary: bool
    word_dropout: float

    def pick(self, wordings: Wordings) -> str:
        return wordings.pick(self.rng, self.split, vary=self.vary, word_dropout=self.word_dropout)

    def instruction(self, family: Family) -> str:
        return frame_instruction(self.pick(family.instructions), self.rng, self.split)

    def reverse_instruction(self, family: Family, has_demos: bool) -> str:
        """The family's own wording (always without examples), a generic one, or none."""
        if family.reverse_instructions is None:
            raise ValueError(f"family {family.name!r} has no reverse form")
        draw = self.rng.random()
        if not has_demos or draw < 0.5:
            return self.pick(family.reverse_instructions)
        return self.pick(REVERSE_INSTRUCTIONS) if draw < 0.8 else ""

    def chat_spec(self, family: Family, has_demos: bool) -> PromptSpec:
        """The instruction as the system message (examples become earlier turns), or,
        without examples, half the time at the top of the user turn, under a generic system
        prompt or none."""
        wording = self.instruction(family)
        if not has_demos and self.rng.random() < 0.5:
            system = self.pick(SYSTEM_PROMPTS) if self.rng.random() < 0.6 else ""
            return PromptSpec("chat", system, request=wording)
        if self.rng.random() < 0.4:
            wording = self.pick(SYSTEM_PROMPTS) + "\n" + wording
        return PromptSpec("chat", wording)


def _cells(
    mixture: Mixture, families: Iterable[str] | None, kinds: Iterable[str] | None
) -> tuple[list[tuple[SampleKind, str]], list[float]]:
    """Every (kind, family) the filters allow, with its probability."""
    allowed_families = list(families) if families is not None else list(mixture.families)
    for name in allowed_families:
        kinds_of(name)  # unknown names fail here, with the list of known ones
    allowed_kinds = set(kinds) if kinds is not None else set(SAMPLE_KINDS)
    cells: list[tuple[SampleKind, str]] = []
    weights: list[float] = []
    for kind in SAMPLE_KINDS:
        if kind not in allowed_kinds or mixture.kinds.get(kind, 0) <= 0:
            continue
        members = [
            (f, mixture.families.get(f, 1.0)) for f in allowed_families if kind in kinds_of(f)
        ]
        total = sum(w for _, w in members)
        for f, w in members:
            if w > 0:
                cells.append((kind, f))
                weights.append(mixture.kinds[kind] * w / total)
    if not cells:
        raise ValueError(
            f"no family of {sorted(allowed_families)} is rendered as any of the kinds "
            f"{sorted(allowed_kinds)}"
        )
    return cells, weights
