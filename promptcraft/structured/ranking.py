"""Choices by ranking: what a backend that can score continuations returns, and how the
best choice is picked.

``choices([...], mode="rank")`` generates nothing. The model scores each whole choice as a
continuation of the prompt: the log-probabilities of its tokens, summed (``rank_by="sum"``,
the probability of the whole choice) or averaged (``"mean"``, which does not penalise a
choice for being spelt in more tokens). The best-scoring choice is the answer. This is how
lm-evaluation-harness scores multiple choice; a local model computes it in one forward pass
over the shared prompt (:mod:`promptcraft.nn.continuation_scoring`). The records
(:class:`OptionScore`, :class:`ChoiceRanking`) live in :mod:`promptcraft.types`,
which the decoder and every backend share.

A backend that can rank implements :class:`ChoiceRanker` (the local backend does). No torch
here: templates and remote backends use these names without the decoder.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..types import ChoiceRanking, OptionScore, continuation_text

if TYPE_CHECKING:
    from ..coerce import MessagesLike

__all__ = ["ChoiceRanker", "ChoiceRanking", "OptionScore", "continuation_text"]


@runtime_checkable
class ChoiceRanker(Protocol):
    """A backend that scores choices as continuations of prompts.

    ``rank_choices(prompts, options)`` returns one :class:`ChoiceRanking` per prompt (a text
    prompt, or messages formatted by the model's chat template), each scoring every option.
    Prompts of one call share their common prefix's computation."""

    def rank_choices(
        self, prompts: Sequence[str | MessagesLike], options: Sequence[str]
    ) -> list[ChoiceRanking]: ...
