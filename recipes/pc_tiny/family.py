"""What every task family of the curriculum shares.

A family makes one prompt's worth of data at a time, a :class:`Task`: the demonstrations,
the query and its answer, and the variables its instructions use. Parameters drawn once per
task (the field to extract, the letter shift, the position to pick) are shared by the
demonstrations and the query, so with no instruction they can be inferred only from the
demonstrations.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from .paraphrase import vary_wording

__all__ = ["Family", "Split", "Task", "Wordings", "distinct_instances"]

Split = Literal["train", "heldout"]


@dataclass(frozen=True)
class Wordings:
    """Phrasings of one instruction (Jinja source; they may use the task's variables). The
    ``heldout`` ones are never used for training, only for held-out evaluation."""

    train: tuple[str, ...]
    heldout: tuple[str, ...]

    def of(self, split: Split) -> tuple[str, ...]:
        return self.train if split == "train" else self.heldout

    def pick(
        self, rng: random.Random, split: Split, *, vary: bool = False, word_dropout: float = 0.0
    ) -> str:
        """One wording of ``split``; with ``vary`` (training only), often a paraphrase of it
        (:func:`~.paraphrase.vary_wording`, with ``word_dropout``) that is never one of the
        held-out wordings."""
        wording = rng.choice(self.of(split))
        if not vary or split != "train" or rng.random() < 0.3:
            return wording
        varied = vary_wording(wording, rng, word_dropout=word_dropout)
        return wording if varied in self.heldout else varied


@dataclass
class Task:
    """One prompt's data: ``demos`` as (input, output) pairs, the ``query`` input and its
    ``answer``, the instruction ``variables`` and facts for tests (``meta``)."""

    demos: list[tuple[str, str]]
    query: str
    answer: str
    variables: dict[str, Any] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


class Family:
    """A task family. Subclasses set the class attributes and implement :meth:`params` and
    :meth:`instance`, or override :meth:`task` when the query depends on the demonstrations.

    ``kinds``: the prompt kinds it is rendered as. ``instructions``: wordings of the forward
    task. ``reverse_instructions``: wordings asking for the input of a shown output (only for
    families whose instances are invertible). ``in_context``: the answer is decidable only
    from the demonstrations. ``drill``: practice for a skill other families need, reported
    but not part of any target."""

    name: str = ""
    kinds: frozenset[str] = frozenset()
    instructions: Wordings = Wordings((), ())
    reverse_instructions: Wordings | None = None
    in_context: bool = False
    drill: bool = False

    def params(self, rng: random.Random) -> dict[str, Any]:
        """The parameters shared by every instance of one task."""
        return {}

    def instance(self, rng: random.Random, params: dict[str, Any]) -> tuple[str, str]:
        """One (input, output) pair."""
        raise NotImplementedError

    def variables(self, params: dict[str, Any]) -> dict[str, Any]:
        """The values the instruction wordings may use."""
        return {}

    def task(self, rng: random.Random, k: int) -> Task:
        params = self.params(rng)
        pairs = distinct_instances(lambda: self.instance(rng, params), k + 1)
        query, answer = pairs[-1]
        return Task(pairs[:-1], query, answer, self.variables(params), dict(params))


def distinct_instances(
    draw: Callable[[], tuple[str, str]], n: int, *, tries_per_item: int = 50
) -> list[tuple[str, str]]:
    """``n`` pairs from ``draw()`` with pairwise different inputs (repeated demonstrations
    teach nothing, and the engine would drop exact duplicates)."""
    pairs: list[tuple[str, str]] = []
    seen: set[str] = set()
    for _ in range(n * tries_per_item):
        pair = draw()
        if pair[0] not in seen:
            seen.add(pair[0])
            pairs.append(pair)
            if len(pairs) == n:
                return pairs
    raise ValueError(f"could not draw {n} distinct instances")
