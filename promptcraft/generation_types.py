"""What every generation reports, whichever engine produced it: token usage, per-token
log-probabilities and why it finished; and the scores of ranked choices.

Plain pydantic, no torch: the local decoder (:mod:`promptcraft.nn`) and every backend
(:mod:`promptcraft.backends`) share these records, so there is one ``Usage`` in the package.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = [
    "ChoiceRanking",
    "FinishReason",
    "OptionScore",
    "RankBy",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "continuation_text",
]

# "stop": an end-of-sequence token or a stop string; "length": max_tokens reached;
# "tool_calls": the model called tools (remote backends with native tool calls);
# "content_filter": a server's moderation cut the output short.
FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]

# How ranked choices are compared: the sum of a choice's token log-probabilities (the
# probability of the whole choice) or their mean (no penalty for being spelt in more tokens).
RankBy = Literal["sum", "mean"]


class Usage(BaseModel):
    """Tokens a generation read and wrote."""

    model_config = ConfigDict(frozen=True)

    prompt_tokens: int
    completion_tokens: int
    cached_prompt_tokens: int = 0  # prompt tokens whose keys/values were reused, not computed

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


class TopLogprob(BaseModel):
    """One of the most likely tokens at a step, and its log-probability."""

    model_config = ConfigDict(frozen=True)

    token_id: int | None  # None: a remote server that reports tokens as text only
    token: str
    logprob: float


class TokenLogprob(BaseModel):
    """The log-probability of a generated token under the model (before temperature and
    filtering), and the ``n`` most likely alternatives at that step."""

    model_config = ConfigDict(frozen=True)

    token_id: int | None  # None: a remote server that reports tokens as text only
    token: str
    logprob: float
    top: list[TopLogprob]


class OptionScore(BaseModel):
    """One choice's score: the sum of its tokens' log-probabilities after the prompt, and
    how many tokens it took."""

    model_config = ConfigDict(frozen=True)

    option: str
    logprob: float
    tokens: int

    def score(self, rank_by: RankBy) -> float:
        """``logprob`` for ``"sum"``; ``logprob / tokens`` for ``"mean"``."""
        return self.logprob if rank_by == "sum" else self.logprob / max(self.tokens, 1)


class ChoiceRanking(BaseModel):
    """The scores of every choice for one prompt, in the order the choices were given, and
    the tokens the scoring read (the prompt's, as ``prompt_tokens``)."""

    model_config = ConfigDict(frozen=True)

    scores: tuple[OptionScore, ...]
    usage: Usage

    def best(self, rank_by: RankBy) -> str:
        """The best choice by ``rank_by``; the first of them on a tie."""
        return max(self.scores, key=lambda s: s.score(rank_by)).option

    def by(self, rank_by: RankBy) -> dict[str, float]:
        """Each choice's score by ``rank_by``."""
        return {s.option: s.score(rank_by) for s in self.scores}

    def calibrated(self, references: Sequence[ChoiceRanking]) -> ChoiceRanking:
        """These scores less each choice's mean log-probability in ``references`` (the same
        choices after content-free prompts): what the prompt's content adds to the model's
        prior for each choice (contextual calibration, Zhao et al. 2021)."""
        if not references:
            return self
        prior = {
            s.option: sum(r.by("sum")[s.option] for r in references) / len(references)
            for s in self.scores
        }
        scores = tuple(
            s.model_copy(update={"logprob": s.logprob - prior[s.option]}) for s in self.scores
        )
        return self.model_copy(update={"scores": scores})


def continuation_text(option: str, prompt_ends_in_space: bool) -> str:
    """The text scored for ``option``: after a prompt that ends in a space or a newline (a
    chat template's ``assistant\\n``), the option itself; after one that does not
    (``Answer:``), the option after one space, as a model writes it (lm-evaluation-harness's
    ``target_delimiter``). Generated choices allow that one space too."""
    if prompt_ends_in_space or option[:1].isspace():
        return option
    return f" {option}"
