"""The records that cross every boundary: chat messages and tool calls, generation
parameters, token usage, per-token log-probabilities, why a generation finished, and the scores
of ranked choices.

Plain pydantic, no torch and no Jinja: templates, the local decoder, every backend and the
server share these, so each exists once in the package and the lowest layers may import it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    computed_field,
    field_validator,
    model_validator,
)

__all__ = [
    "ROLES",
    "SEED_MAX",
    "SEED_MIN",
    "Capabilities",
    "ChoiceRanking",
    "Chunk",
    "Completion",
    "FinishReason",
    "GenerationParams",
    "Message",
    "OptionScore",
    "RankBy",
    "Request",
    "Role",
    "TokenLogprob",
    "ToolCall",
    "TopLogprob",
    "Usage",
    "continuation_text",
]

Role = Literal["system", "user", "assistant", "tool"]
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


class ToolCall(BaseModel):
    """A tool the model asked to call. ``arguments`` is the JSON text exactly as the model
    wrote it (it may be malformed: an agent feeds the parse error back to the model)."""

    model_config = ConfigDict(frozen=True)

    id: str
    name: str
    arguments: str = ""
    type: Literal["function"] = "function"

    def parsed_arguments(self) -> dict[str, Any]:
        """The arguments as a dict; :class:`ValueError` when they are not a JSON object."""
        try:
            value = json.loads(self.arguments or "{}")
        except json.JSONDecodeError as exc:
            raise ValueError(f"arguments of tool call {self.name!r} are not JSON: {exc}") from None
        if not isinstance(value, dict):
            raise ValueError(
                f"arguments of tool call {self.name!r} are not a JSON object: {self.arguments!r}"
            )
        return value


class Message(BaseModel):
    """One chat message. An assistant message that called tools carries its ``tool_calls``;
    each result comes back in a ``"tool"`` message whose ``tool_call_id`` names the call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    content: str
    name: str | None = None
    tool_call_id: str | None = None
    tool_calls: tuple[ToolCall, ...] | None = None


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


# A seed is a 64-bit integer, as torch and most servers take it.
SEED_MIN, SEED_MAX = -(2**63), 2**63 - 1


class GenerationParams(BaseModel):
    """How to sample a completion. The names and meanings follow OpenAI and vLLM."""

    # Unknown keys are errors: a misspelt "temprature" must not be ignored silently.
    model_config = ConfigDict(extra="forbid", frozen=True)

    max_tokens: int = Field(default=256, ge=1, description="Most tokens to generate.")
    # Floats must be finite: an infinite temperature or penalty is a typo, not a setting.
    temperature: float = Field(
        default=1.0,
        ge=0.0,
        allow_inf_nan=False,
        description="0 picks the most likely token (greedy).",
    )
    top_k: int | None = Field(
        default=None, ge=1, description="Sample among the k most likely tokens."
    )
    top_p: float = Field(
        default=1.0,
        gt=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Nucleus: smallest set with this mass.",
    )
    min_p: float = Field(
        default=0.0,
        ge=0.0,
        le=1.0,
        allow_inf_nan=False,
        description="Drop tokens below min_p times the top probability.",
    )
    repetition_penalty: float = Field(
        default=1.0,
        gt=0.0,
        allow_inf_nan=False,
        description="Above 1 discourages tokens already in the prompt or output.",
    )
    stop: list[str] = Field(
        default_factory=list, description="Stop before any of these strings; not in the output."
    )
    seed: int | None = Field(
        default=None,
        ge=SEED_MIN,
        le=SEED_MAX,
        description="Same seed, same prompt: same output.",
    )
    ignore_eos: bool = Field(
        default=False, description="Keep going past the end-of-sequence token."
    )
    min_tokens: int = Field(
        default=0,
        ge=0,
        description="Tokens to generate before EOS or a stop string may end the output.",
    )
    logprobs: int | None = Field(
        default=None, ge=0, le=20, description="Return the top-n log-probabilities of each token."
    )

    @field_validator(
        "max_tokens",
        "temperature",
        "top_k",
        "top_p",
        "min_p",
        "repetition_penalty",
        "seed",
        "min_tokens",
        "logprobs",
        mode="before",
    )
    @classmethod
    def _not_a_boolean(cls, value: Any, info: ValidationInfo) -> Any:
        # pydantic would read True as 1: max_tokens=True would quietly mean one token.
        if isinstance(value, bool):
            hint = (
                " (it is the number of top alternatives to return per token, 0 to 20; "
                "OpenAI's logprobs=true without top_logprobs is logprobs=0)"
                if info.field_name == "logprobs"
                else ""
            )
            raise ValueError(f"expected a number, not a boolean{hint}")
        return value

    @field_validator("stop", mode="before")
    @classmethod
    def _stop_as_list(cls, value: Any) -> Any:
        # OpenAI accepts a single string or a list; so do we.
        if value is None:
            return []
        if isinstance(value, str):
            return [value]
        return value

    @field_validator("stop")
    @classmethod
    def _stop_not_empty(cls, value: list[str]) -> list[str]:
        if any(s == "" for s in value):
            raise ValueError("stop strings must not be empty")
        return value

    @model_validator(mode="after")
    def _min_tokens_fit(self) -> GenerationParams:
        if self.min_tokens > self.max_tokens:
            raise ValueError(
                f"min_tokens ({self.min_tokens}) must not exceed max_tokens ({self.max_tokens})"
            )
        return self

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0


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
    batching: bool = Field(
        default=False,
        description="generate_batch() runs its prompts together, faster than one by one.",
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
