"""The expected output of a prompt: free text, one of some choices, text matching a regex, or
JSON matching a schema; as a ``.prompt`` file's ``output:`` and a template's ``output=`` write it.

Here, beside the constraints it compiles to, so the template engine and the backends both read
it without either depending on the other.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..errors import InputValidationError, MissingInputError
from ..types import RankBy

__all__ = ["ChoiceMode", "OutputSpec"]

#: How a ``choices`` output is produced: generated under the constraint, or ranked by the
#: model's probability of each whole choice.
ChoiceMode = Literal["generate", "rank"]


class OutputSpec(BaseModel):
    """What the completion should be: free ``text``, one of ``choices``, text matching a
    ``regex``, or ``json`` matching ``schema``. Written in front matter as ``output: text``,
    ``output: {choices: [...]}``, ``output: {regex: "..."}`` or ``output: {schema: {...}}``.
    Choices, the regex and the schema are checked here (see :mod:`promptcraft.structured`).

    Choices may add ``mode: rank`` (score each choice by the model's probability instead of
    generating; ``rank_by: sum`` or ``mean``; ``calibrate: true`` to remove the model's prior
    for each label), as in ``output: {choices: [positive, negative], mode: rank}``. Instead
    of a fixed list, ``choices_from: labels`` takes the choices from the input ``labels`` (a
    list of strings) at each call. A schema may add ``copy_from: text``: its plain string
    fields are then runs of words copied from the input ``text``
    (:func:`promptcraft.structured.json_schema`'s ``copy_from``)."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    type: Literal["text", "choices", "regex", "json"] = "text"
    choices: tuple[str, ...] | None = None
    choices_from: str | None = None
    mode: ChoiceMode = "generate"
    rank_by: RankBy | None = None
    calibrate: bool = False
    pattern: str | None = Field(default=None, alias="regex")
    json_schema: dict[str, Any] | None = Field(default=None, alias="schema")
    copy_from: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, str):
            return {"type": value}
        if isinstance(value, dict) and "type" not in value:
            if "choices" in value or "choices_from" in value:
                return {**value, "type": "choices"}
            if "regex" in value or "pattern" in value:
                return {**value, "type": "regex"}
            if "schema" in value or "json_schema" in value:
                return {**value, "type": "json"}
        return value

    @model_validator(mode="after")
    def _complete(self) -> OutputSpec:
        if self.type == "choices" and not (self.choices or self.choices_from):
            raise ValueError(
                "output type 'choices' needs a non-empty list of choices, or choices_from: "
                "the name of an input that holds them"
            )
        if self.choices and self.choices_from:
            raise ValueError("give choices or choices_from, not both")
        if self.copy_from and self.type != "json":
            raise ValueError(
                f"copy_from applies to a schema only, not to output type {self.type!r}"
            )
        if self.type == "json" and self.json_schema is None:
            raise ValueError("output type 'json' needs a schema")
        if self.type == "regex" and self.pattern is None:
            raise ValueError("output type 'regex' needs a regex")
        ranking = "mode" in self.model_fields_set or self.rank_by or self.calibrate
        if self.type != "choices" and ranking:
            raise ValueError(
                "mode, rank_by and calibrate apply to choices only, not to output type "
                f"{self.type!r}"
            )
        for key in ("rank_by", "calibrate"):
            if getattr(self, key) and self.mode != "rank":
                raise ValueError(f"{key} applies to mode: rank only; add mode: rank, or drop it")
        if self.type != "text" and not self.choices_from:
            # Here, so a bad schema or regex fails where the template is loaded (and linted).
            from .constraints import constraint_from_output

            constraint = constraint_from_output(self)
            assert constraint is not None
            constraint.pattern  # noqa: B018 - what constrained decoding will compile must build
        return self

    @property
    def input_names(self) -> tuple[str, ...]:
        """The inputs this output reads (``choices_from``, ``copy_from``)."""
        return tuple(name for name in (self.choices_from, self.copy_from) if name)

    def for_inputs(self, values: Mapping[str, Any]) -> OutputSpec:
        """This output for one call, from ``values`` (the validated inputs, defaults filled
        in): with ``choices_from``, the choices the named input holds; with ``copy_from``,
        the schema's strings copied from the named input's text."""
        for name in self.input_names:
            if name not in values:
                raise MissingInputError(
                    f"output: {name!r} is an input it reads, and it was not given", variable=name
                )
        if self.copy_from is not None:
            from .spans import copy_strings

            text = values[self.copy_from]
            if not isinstance(text, str):
                raise InputValidationError(
                    f"output: copy_from input {self.copy_from!r} must be text, not {text!r}",
                    field=self.copy_from,
                )
            assert self.json_schema is not None
            copied = copy_strings(self.json_schema, text)
            return self.model_copy(update={"json_schema": copied, "copy_from": None})
        if self.choices_from is None:
            return self
        name = self.choices_from
        value = values[name]
        if isinstance(value, str) or not all(isinstance(v, str) and v for v in value or ()):
            raise InputValidationError(
                f"output: choices_from input {name!r} must be a list of non-empty strings, not "
                f"{value!r}",
                field=name,
            )
        return self.model_copy(update={"choices": tuple(value), "choices_from": None})
