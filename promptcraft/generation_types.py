"""What every generation reports, whichever engine produced it: token usage, per-token
log-probabilities and why it finished.

Plain pydantic, no torch: the local decoder (:mod:`promptcraft.nn`) and every backend
(:mod:`promptcraft.backends`) share these records, so there is one ``Usage`` in the package.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

__all__ = ["FinishReason", "TokenLogprob", "TopLogprob", "Usage"]

# "stop": an end-of-sequence token or a stop string; "length": max_tokens reached;
# "tool_calls": the model called tools (remote backends with native tool calls);
# "content_filter": a server's moderation cut the output short.
FinishReason = Literal["stop", "length", "tool_calls", "content_filter"]


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
