"""The agent's final output: plain text, or a typed value validated from the model's JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .tool_arguments import SCHEMA_ERRORS, describe_validation

__all__ = ["OutputValidator"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.S)


class OutputValidator:
    """Validates a final answer against ``output_type`` (None: the text itself)."""

    def __init__(self, output_type: Any = None):
        self.output_type = output_type
        self._adapter: TypeAdapter[Any] | None = None
        kind = None
        if output_type is not None:
            try:
                self._adapter = TypeAdapter(output_type)
                kind = self._adapter.json_schema().get("type")
            except SCHEMA_ERRORS:
                raise TypeError(
                    f"output_type {output_type!r} has no JSON schema to show a model; use a "
                    "pydantic model or a JSON type (str, int, list[...], dict[str, ...], ...)"
                ) from None
        self._is_object = kind == "object"
        # answers that can only be written as JSON (not as plain text, like a number)
        self._structured = kind in ("object", "array")

    @property
    def schema(self) -> dict[str, Any] | None:
        """The output's JSON schema; an object schema is needed for the native
        ``final_result`` tool, so other types are wrapped as ``{"result": ...}``."""
        if self._adapter is None:
            return None
        schema = self._adapter.json_schema()
        if self._is_object:
            return schema
        return {"type": "object", "properties": {"result": schema}, "required": ["result"]}

    @property
    def answer_schema(self) -> dict[str, Any] | None:
        """The JSON schema of the answer itself (None: free text)."""
        return self._adapter.json_schema() if self._adapter is not None else None

    def instructions(self) -> str | None:
        """What the model is told about the form of its answer."""
        if self._adapter is None:
            return None
        schema = self._adapter.json_schema()
        return "The answer must be one line of JSON matching this schema: " + json.dumps(
            schema, separators=(",", ":")
        )

    def validate(self, final: str | dict[str, Any]) -> Any:
        """The output; ``ValueError`` with a message for the model when it does not fit.

        A text answer is tried as the JSON in it first, then as the text itself, so an
        ``output_type`` of ``str`` takes ``Answer: 42`` as ``"42"``."""
        if self._adapter is None:
            return final.strip() if isinstance(final, str) else json.dumps(final)
        if isinstance(final, dict):
            value: Any = final
            if not self._is_object and set(final) == {"result"}:
                value = final["result"]
            return self._validate(value)
        text = final.strip()
        parsed = _json_in(text)
        if parsed is _NO_JSON:
            if self._structured:
                raise ValueError(
                    "the answer is not JSON; write it as one line of JSON matching the schema"
                )
            return self._validate(text)
        try:
            return self._validate(parsed)
        except ValueError:
            try:  # JSON-looking text may be the answer itself ('42' for a str)
                return self._adapter.validate_python(text)
            except ValidationError:
                pass
            raise

    def _validate(self, value: Any) -> Any:
        assert self._adapter is not None
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            raise ValueError(
                f"the answer does not match the schema: {describe_validation(exc, 'answer')}"
            ) from None


_NO_JSON = object()


def _json_in(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the first
    JSON object or array in it (text after it is ignored); ``_NO_JSON`` when none parses."""
    candidates = [text, *_FENCE.findall(text)]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    decoder = json.JSONDecoder()
    for opener in "{[":
        start = text.find(opener)
        if start >= 0:
            try:
                return decoder.raw_decode(text, start)[0]
            except json.JSONDecodeError:
                continue
    return _NO_JSON
