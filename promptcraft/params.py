"""Generation parameters shared by every backend (local decoder and remote servers).

Plain pydantic, no torch: templates carry these as their ``defaults``, and backends
translate them to their own wire format.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

__all__ = ["SEED_MAX", "SEED_MIN", "GenerationParams"]

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
