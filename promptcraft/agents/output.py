"""The agent's final output: plain text, or a typed value validated from the model's JSON."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import TypeAdapter, ValidationError

from .tools import describe_validation

__all__ = ["OutputValidator"]

_FENCE = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.S)


class OutputValidator:
    """Validates a final answer against ``output_type`` (None: the text itself)."""

    def __init__(self, output_type: Any = None):
        self.output_type = output_type
        self._adapter: TypeAdapter[Any] | None = (
            TypeAdapter(output_type) if output_type is not None else None
        )
        self._is_object = (
            self._adapter is not None and self._adapter.json_schema().get("type") == "object"
        )

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
        """The output; ``ValueError`` with a message for the model when it does not fit."""
        if self._adapter is None:
            return final.strip() if isinstance(final, str) else json.dumps(final)
        if isinstance(final, dict):
            value: Any = final
            if not self._is_object and set(final) == {"result"}:
                value = final["result"]
        else:
            value = _json_in(final)
        try:
            return self._adapter.validate_python(value)
        except ValidationError as exc:
            raise ValueError(
                f"the answer does not match the schema: {describe_validation(exc)}"
            ) from None


def _json_in(text: str) -> Any:
    """The JSON value in a model's answer: the whole text, a fenced block, or the first
    ``{...}``; the text itself when none parses (so a plain ``str`` type still works)."""
    candidates = [text.strip()]
    candidates += _FENCE.findall(text)
    start, end = text.find("{"), text.rfind("}")
    if 0 <= start < end:
        candidates.append(text[start : end + 1])
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError:
            continue
    return text.strip()
