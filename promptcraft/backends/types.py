"""The records that cross the backend boundary: what a backend can do, what one call asks
for, and what it returns (whole or streamed).

No torch here: remote backends, agents and evaluation use these without the local decoder.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, computed_field, model_validator

from ..generation_types import FinishReason, TokenLogprob, Usage
from ..params import GenerationParams
from ..prompts.messages import Message, ToolCall

__all__ = ["Capabilities", "Chunk", "Completion", "Request", "ToolCall"]


class Capabilities(BaseModel):
    """What a backend supports, so callers (agents, structured output, the CLI) can choose a
    strategy instead of failing at the first call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    completion: bool = Field(default=True, description="generate() on plain text prompts.")
    chat: bool = Field(default=False, description="chat() on messages (needs a chat template).")
    streaming: bool = Field(default=True, description="stream() yields tokens as they come.")
    logprobs: bool = Field(default=False, description="Per-token log-probabilities on request.")
    native_tool_calls: bool = Field(
        default=False, description="The API itself returns structured tool calls."
    )
    constrained_decoding: bool = Field(
        default=False, description="Output can be forced to match a grammar or JSON schema."
    )
    response_format: bool = Field(
        default=False,
        description="Accepts an OpenAI-style response_format (json_object or json_schema).",
    )
    prefix_cache: bool = Field(
        default=False, description="A prompt that starts like the previous one reuses its work."
    )
    max_context: int | None = Field(
        default=None, ge=1, description="Prompt plus completion tokens, at most; None: unknown."
    )


class Request(BaseModel):
    """One validated call: a text prompt or a list of messages, and the parameters. The
    public methods of :class:`~promptcraft.backends.base.Backend` build it; backend
    implementations receive it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    params: GenerationParams = Field(default_factory=GenerationParams)
    # Passed through to backends that support them (see Capabilities), in OpenAI's shapes:
    # tools=[{"type": "function", "function": {"name", "description", "parameters"}}],
    # tool_choice="auto" | "none" | "required" | {"type": "function", "function": {...}},
    # response_format={"type": "json_object"} | {"type": "json_schema", "json_schema": {...}}.
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    response_format: dict[str, Any] | None = None
    # A promptcraft.structured Constraint (choices, regex, json_schema) for backends with
    # constrained_decoding. Typed loosely so this module stays below promptcraft.structured;
    # build_request checks it.
    constraint: Any = None

    @model_validator(mode="after")
    def _one_input(self) -> Request:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("a request has either a prompt or messages, not both or neither")
        return self


class Completion(BaseModel):
    """A finished generation."""

    model_config = ConfigDict(frozen=True)

    text: str
    finish_reason: FinishReason
    usage: Usage
    logprobs: list[TokenLogprob] | None = None
    model: str = ""
    tool_calls: list[ToolCall] | None = None  # native tool calls (finish_reason "tool_calls")
    reasoning: str | None = None  # a reasoning model's thinking, when the server returns it

    @computed_field  # type: ignore[prop-decorator]
    @property
    def cached_prompt_tokens(self) -> int:
        """Prompt tokens the backend reused from an earlier call instead of computing them."""
        return self.usage.cached_prompt_tokens

    @classmethod
    def from_chunks(cls, chunks: Iterable[Chunk], *, model: str = "") -> Completion:
        """Join a finished stream into the completion it amounts to."""
        texts: list[str] = []
        reasoning: list[str] = []
        logprobs: list[TokenLogprob] = []
        with_logprobs = False
        last: Chunk | None = None
        for chunk in chunks:
            texts.append(chunk.text)
            reasoning.append(chunk.reasoning)
            if chunk.logprobs is not None:
                with_logprobs = True
                logprobs.extend(chunk.logprobs)
            last = chunk
        if last is None or last.finish_reason is None or last.usage is None:
            raise ValueError("the stream ended before its last chunk (finish_reason and usage)")
        return cls(
            text="".join(texts),
            finish_reason=last.finish_reason,
            usage=last.usage,
            logprobs=logprobs if with_logprobs else None,
            model=model,
            tool_calls=last.tool_calls,
            reasoning="".join(reasoning) or None,
        )


class Chunk(BaseModel):
    """One piece of a stream. ``text`` and ``reasoning`` are deltas: joined, the chunks'
    texts are the completion. Only the last chunk has ``finish_reason`` and ``usage``, and
    the whole ``tool_calls`` when the model called tools."""

    model_config = ConfigDict(frozen=True)

    text: str = ""
    logprobs: list[TokenLogprob] | None = None
    finish_reason: FinishReason | None = None
    usage: Usage | None = None
    reasoning: str = ""
    tool_calls: list[ToolCall] | None = None
