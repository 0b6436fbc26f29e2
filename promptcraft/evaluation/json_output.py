"""The ``json_schema`` metric: is the output JSON valid for a schema, and does it hold the
expected fields?

Models often wrap JSON in prose or a Markdown code fence, so the first JSON value found in
the output is the one judged. Validation uses the ``jsonschema`` package, imported only when
a schema is checked.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError

if TYPE_CHECKING:
    from .metrics import MetricResult, ScoringContext

__all__ = ["JsonSchemaMatch", "find_json"]


class JsonSchemaMatch:
    """0 when the output holds no JSON, or JSON the schema rejects. Otherwise 1, or with an
    expected object, the fraction of the expected fields whose values the output matches.
    The schema is the one given, else the template's ``output: {schema: ...}``; with
    neither, any JSON is valid."""

    name = "json_schema"
    needs_expected = False

    def __init__(self, schema: Mapping[str, Any] | None = None) -> None:
        self.schema = dict(schema) if schema is not None else None
        if self.schema is not None:
            _validator(self.schema)  # a bad schema fails now, not on every row

    def score(self, output: str, expected: Any, context: ScoringContext) -> MetricResult:
        from .metrics import MetricResult

        schema = self.schema
        if schema is None and context.output_spec is not None:
            schema = context.output_spec.json_schema
        try:
            value = find_json(output)
        except ValueError as exc:
            return MetricResult(score=0.0, detail=str(exc))
        if schema is not None:
            problem = next(iter(_validator(schema).iter_errors(value)), None)
            if problem is not None:
                where = "/".join(map(str, problem.absolute_path)) or "the value"
                return MetricResult(score=0.0, detail=f"schema: {where}: {problem.message}")
        if not isinstance(expected, Mapping) or not expected:
            return MetricResult(score=1.0)
        if not isinstance(value, Mapping):
            return MetricResult(score=0.0, detail="expected an object")
        wrong = [key for key, want in expected.items() if value.get(key) != want]
        right = len(expected) - len(wrong)
        detail = None if not wrong else "fields differ: " + ", ".join(wrong)
        return MetricResult(score=right / len(expected), detail=detail)


def find_json(text: str) -> Any:
    """The first JSON object or array in ``text`` (the whole text when it is JSON). Raises
    :class:`ValueError` when there is none."""
    stripped = text.strip()
    try:
        return json.loads(stripped)
    except json.JSONDecodeError:
        pass
    decoder = json.JSONDecoder()
    for start, char in enumerate(stripped):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(stripped, start)
            except json.JSONDecodeError:
                continue
            return value
    raise ValueError("no JSON object or array in the output")


def _validator(schema: Mapping[str, Any]) -> Any:
    try:
        import jsonschema
    except ImportError:
        raise EvaluationError(
            "the json_schema metric needs the jsonschema package: pip install jsonschema"
        ) from None
    cls = jsonschema.validators.validator_for(schema)
    try:
        cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise EvaluationError(f"the JSON schema is invalid: {exc.message}") from None
    return cls(schema)
