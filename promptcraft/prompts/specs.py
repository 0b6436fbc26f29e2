"""The typed settings of a prompt: its layout, example selection, generation defaults and
expected output. Front matter and the Python kinds both build these."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

__all__ = [
    "KINDS",
    "GenerationDefaults",
    "Kind",
    "LayoutSpec",
    "SelectSpec",
    "describe_error",
]

Kind = Literal["prefix", "few_shot", "hybrid", "reverse", "chat"]
#: How ranked choices compare: the sum or the mean of their tokens' log-probabilities.
KINDS: tuple[str, ...] = ("prefix", "few_shot", "hybrid", "reverse", "chat")


class LayoutSpec(BaseModel):
    """Variables of the kind's layout, read by its default blocks as ``layout.<name>``.

    Labels default by kind: none for ``prefix``, ``Input``/``Output`` for the example kinds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_key: str = "input"
    output_key: str = "output"
    input_label: str | None = None
    output_label: str | None = None
    example_separator: str = "\n\n"
    section_separator: str = "\n\n"

    def for_kind(self, kind: str) -> dict[str, str]:
        """The values the layout sees: these fields with the kind's default labels filled in,
        plus ``input_prefix`` (``"Input: "``), ``input_cue`` (``"\\nInput:"``) and the same
        for the output, each empty when its label is."""
        labelled = kind in ("few_shot", "hybrid", "reverse")
        values: dict[str, str] = self.model_dump()
        for side, default in (("input", "Input"), ("output", "Output")):
            label = values[f"{side}_label"]
            if label is None:
                label = values[f"{side}_label"] = default if labelled else ""
            values[f"{side}_prefix"] = f"{label}: " if label else ""
            values[f"{side}_cue"] = f"\n{label}:" if label else ""
        return values


class SelectSpec(BaseModel):
    """How the examples of a prompt are chosen for each render.

    ``strategy``: ``all``, ``first_k``, ``random_k`` (seeded, fixed for the template),
    ``similar_k`` (BM25 between the ``input`` value and each example's ``field``) or
    ``within_budget`` (``all``, packed into ``max_prompt_tokens``). Any strategy may set
    ``max_prompt_tokens``: its choice is then packed, whole examples only, into that many
    tokens of ``encoding``, counted on the fully rendered prompt."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    strategy: Literal["all", "first_k", "random_k", "similar_k", "within_budget"] = "all"
    k: int | None = Field(default=None, ge=0)
    seed: int = 0
    input: str | None = None
    field: str | None = None
    max_prompt_tokens: int | None = Field(default=None, gt=0)
    encoding: str = "cl100k_base"
    dedupe: bool = True

    @classmethod
    def coerce(cls, value: Any) -> SelectSpec:
        """A spec from ``None`` (all examples), a strategy name or a mapping."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, str):
            return cls(strategy=value)  # type: ignore[arg-type]
        if isinstance(value, dict):
            return cls.model_validate(value)
        raise ValueError(f"select must be a strategy name or a mapping, not {value!r}")

    @model_validator(mode="after")
    def _needs(self) -> SelectSpec:
        if self.strategy in ("first_k", "random_k", "similar_k") and self.k is None:
            raise ValueError(f"strategy {self.strategy!r} needs k")
        if self.strategy == "within_budget" and self.max_prompt_tokens is None:
            raise ValueError("strategy 'within_budget' needs max_prompt_tokens")
        if "encoding" in self.model_fields_set:
            # Here, so an unknown or unavailable encoding fails where the template is loaded,
            # not at its first render.
            from ..errors import TokenizerError
            from ..tokenizers.tokenizer import get_tokenizer

            try:
                get_tokenizer(self.encoding)
            except TokenizerError as exc:
                raise ValueError(f"encoding: {exc}") from None
        return self


class GenerationDefaults(BaseModel):
    """Generation parameters a template suggests; a run may override each."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_tokens: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0)
    top_p: float | None = Field(default=None, gt=0, le=1)
    stop: list[str] | None = None
    seed: int | None = None

    @field_validator("stop", mode="before")
    @classmethod
    def _one_stop(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def describe_error(exc: Exception) -> str:
    """A one-line account of a settings error (pydantic's own message spans many lines)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(map(str, e['loc'])) + ': ' if e['loc'] else ''}"
            f"{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
    return str(exc)
