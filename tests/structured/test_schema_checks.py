"""JSON schemas that no value can satisfy, or models without a JSON schema, are refused when
the constraint is built, before anything is generated; output of a schema dict is validated
for what its regex cannot enforce (no model)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import regex as regex_module
from pydantic import BaseModel, ConfigDict, Field

from promptcraft.errors import ConstraintError
from promptcraft.structured import json_schema


def _refusal(schema: Any) -> ConstraintError:
    with pytest.raises(ConstraintError, match="unsatisfiable JSON schema") as info:
        json_schema(schema)
    assert info.value.kind == "json_schema"
    return info.value


def test_empty_enum_is_refused_naming_the_field() -> None:
    # outlines-core wrote {"a": } for it.
    schema = {"type": "object", "properties": {"a": {"enum": []}}, "required": ["a"]}
    error = _refusal(schema)
    assert error.path == "properties.a"
    assert "enum is empty" in str(error)


def test_minimum_above_maximum_is_refused() -> None:
    # The regex ignores integer bounds: this produced "2".
    error = _refusal({"type": "integer", "minimum": 5, "maximum": 1})
    assert error.path == "(root)"
    assert "minimum 5, maximum 1" in str(error)


@pytest.mark.parametrize(
    "bounds",
    [
        {"minimum": 1.2, "maximum": 1.8},
        {"exclusiveMinimum": 1, "exclusiveMaximum": 2},
        {"minimum": 1, "maximum": 4, "multipleOf": 5},
    ],
)
def test_integer_bounds_with_no_integer_between_them_are_refused(bounds: dict) -> None:
    _refusal({"type": "integer", **bounds})


@pytest.mark.parametrize(
    ("kind", "low", "high"),
    [
        ("string", "minLength", "maxLength"),
        ("array", "minItems", "maxItems"),
        ("object", "minProperties", "maxProperties"),
    ],
)
def test_a_minimum_count_above_its_maximum_is_refused_naming_the_field(
    kind: str, low: str, high: str
) -> None:
    schema = {"type": "object", "properties": {"x": {"type": kind, low: 5, high: 2}}}
    error = _refusal(schema)
    assert error.path == "properties.x"
    assert f"{low} 5 is greater than {high} 2" in str(error)


def test_enum_values_the_rest_of_the_subschema_rejects_are_refused() -> None:
    _refusal({"type": "string", "enum": [1, 2]})


def test_a_required_property_the_object_forbids_is_refused() -> None:
    schema = {"type": "object", "properties": {}, "required": ["a"], "additionalProperties": False}
    assert "'a' is not allowed" in str(_refusal(schema))


def test_an_unsatisfiable_any_of_branch_is_refused() -> None:
    # outlines-core turns it into an empty alternative: the output could be empty.
    error = _refusal({"anyOf": [{"enum": []}, {"type": "integer"}]})
    assert error.path == "anyOf.0"


def test_contradictory_pydantic_field_bounds_are_refused() -> None:
    class Reading(BaseModel):
        value: int = Field(ge=5, le=1)

    assert _refusal(Reading).path == "properties.value"


def test_satisfiable_schemas_with_bounds_and_closed_objects_are_accepted() -> None:
    schema = {
        "type": "object",
        "properties": {
            "n": {"type": "integer", "minimum": 1, "maximum": 5, "multipleOf": 5},
            "x": {"type": ["integer", "null"], "minimum": 5, "maximum": 1},
            "s": {"type": "string", "minLength": 2, "maxLength": 2},
            "k": {"type": "string", "enum": ["a", 1]},
        },
        "required": ["n", "s"],
        "additionalProperties": False,
    }
    assert json_schema(schema).schema == schema


def test_a_model_field_without_a_json_schema_raises_constraint_error_naming_it() -> None:
    class Opaque:
        pass

    class WithCallable(BaseModel):
        name: str
        callback: Callable[[int], int]

    class WithArbitrary(BaseModel):
        model_config = ConfigDict(arbitrary_types_allowed=True)
        thing: Opaque

    for model, field in ((WithCallable, "callback"), (WithArbitrary, "thing")):
        with pytest.raises(ConstraintError, match=f"field '{field}' of {model.__name__}") as info:
            json_schema(model)
        assert info.value.path == f"properties.{field}"


def test_schema_dict_output_is_validated_for_bounds_the_regex_ignores() -> None:
    constraint = json_schema({"type": "integer", "minimum": 5, "maximum": 10})
    assert regex_module.fullmatch(constraint.pattern, "2")  # the regex lets "2" through
    with pytest.raises(ValueError, match="less than the minimum of 5"):
        constraint.parse("2")


def test_schema_dict_output_is_validated_for_its_format() -> None:
    constraint = json_schema({"type": "string", "format": "email"})
    assert constraint.parse('"ann@example.com"') == "ann@example.com"
    with pytest.raises(ValueError, match="is not a 'email'"):
        constraint.parse('"not an address"')
