"""What generation returns: plain pydantic records, no tensors."""

from __future__ import annotations

from pydantic import BaseModel

# Shared with the backends, which must not import torch; re-exported here for nn users.
from ..types import FinishReason, TokenLogprob, TopLogprob, Usage

__all__ = ["FinishReason", "GenerationOutput", "StreamEvent", "TokenLogprob", "TopLogprob", "Usage"]


class GenerationOutput(BaseModel):
    text: str
    token_ids: list[int]  # every generated token, including a final EOS or stop-string token
    finish_reason: FinishReason
    usage: Usage
    logprobs: list[TokenLogprob] | None = None


class StreamEvent(BaseModel):
    """One step of a stream. ``text`` is a delta: complete characters only, and never part
    of a stop string. The last event has ``finish_reason`` and ``usage`` set."""

    text: str = ""
    token_ids: list[int] = []
    logprobs: list[TokenLogprob] | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
