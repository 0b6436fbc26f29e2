"""Constraint objects: building them, their patterns, parsing and their errors (no model)."""

from __future__ import annotations

import pytest
import regex as regex_module
from pydantic import BaseModel, Field

from promptcraft.constraints.constraints import constraint_from_response_format
from promptcraft.errors import ConstraintError
from promptcraft.structured import (
    Choices,
    JsonSchema,
    Regex,
    as_constraint,
    choices,
    json_schema,
    regex,
)


class Person(BaseModel):
    name: str = Field(max_length=20)
    age: int = Field(ge=0)


def test_choices_pattern_matches_each_option_literally() -> None:
    options = ["a.b", "(x|y)", "1+1=2", "end$"]
    pattern = choices(options).pattern
    assert all(regex_module.fullmatch(pattern, option) for option in options)
    assert not regex_module.fullmatch(pattern, "axb")


def test_choices_parse_accepts_an_unambiguous_case_slip() -> None:
    assert choices(["yes", "no"]).parse(" Yes. ") == "yes"


def test_choices_parse_rejects_other_answers_naming_the_options() -> None:
    with pytest.raises(ValueError, match="'maybe' is not one of 'yes', 'no'"):
        choices(["yes", "no"]).parse("maybe")


@pytest.mark.parametrize("options", [[], ["a", "a"], ["a", ""], "yes"])
def test_choices_reject_empty_repeated_or_string_options(options: object) -> None:
    with pytest.raises(ConstraintError) as info:
        choices(options)  # type: ignore[arg-type]
    assert info.value.kind == "choices"


def test_invalid_regex_raises_constraint_error_naming_the_pattern() -> None:
    with pytest.raises(ConstraintError, match=r"invalid regular expression '\(ab'"):
        regex("(ab")


def test_regex_parse_requires_a_full_match() -> None:
    code = regex(r"[A-Z]{3}-[0-9]{2}")
    assert code.parse("ABC-12\n") == "ABC-12"
    with pytest.raises(ValueError, match="does not match"):
        code.parse("ABC-123")


def test_json_schema_of_a_model_parses_into_the_model() -> None:
    assert json_schema(Person).parse('{"name": "Ann", "age": 31}') == Person(name="Ann", age=31)


def test_json_schema_of_a_model_reports_the_failing_field() -> None:
    with pytest.raises(ValueError, match="age: Input should be greater than or equal to 0"):
        json_schema(Person).parse('{"name": "Ann", "age": -1}')


def test_json_schema_dict_validates_with_the_json_path() -> None:
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    assert json_schema(schema).parse('{"n": 3}') == {"n": 3}
    with pytest.raises(ValueError, match="n: 'x' is not of type 'integer'"):
        json_schema(schema).parse('{"n": "x"}')


def test_json_parse_finds_the_value_inside_a_code_fence_or_prose() -> None:
    constraint = json_schema(Person)
    fenced = 'Here you go:\n```json\n{"name": "Bo", "age": 2}\n```'
    assert constraint.parse(fenced) == Person(name="Bo", age=2)
    assert constraint.parse('Sure! {"name": "Bo", "age": 2} Anything else?').age == 2


def test_json_parse_of_non_json_says_so() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        json_schema(Person).parse("Ann, 31")


def test_invalid_schema_raises_up_front_with_its_path() -> None:
    bad = {"type": "object", "properties": {"age": {"type": "whole number"}}}
    with pytest.raises(
        ConstraintError, match=r"invalid JSON schema at properties\.age\.type"
    ) as info:
        json_schema(bad)
    assert info.value.path == "properties.age.type"


def test_a_schema_outlines_cannot_enforce_fails_when_its_pattern_is_needed() -> None:
    constraint = json_schema({"not": {"type": "string"}})  # valid, but not a regular language
    with pytest.raises(ConstraintError, match="cannot be enforced by constrained decoding"):
        constraint.pattern  # noqa: B018


def test_json_whitespace_is_at_most_one_space() -> None:
    pattern = json_schema(Person).pattern
    assert regex_module.fullmatch(pattern, '{"name": "A", "age": 1}')
    assert regex_module.fullmatch(pattern, '{"name":"A","age":1}')
    assert not regex_module.fullmatch(pattern, '{"name":  "A", "age": 1}')
    assert not regex_module.fullmatch(pattern, '{\n"name": "A", "age": 1}')


def test_json_schema_rejects_objects_that_are_not_schemas() -> None:
    with pytest.raises(ConstraintError, match="pydantic model class or a JSON schema dict"):
        json_schema(42)  # type: ignore[arg-type]


def test_as_constraint_accepts_models_dicts_lists_and_constraints() -> None:
    assert isinstance(as_constraint(Person), JsonSchema)
    assert isinstance(as_constraint({"type": "integer"}), JsonSchema)
    assert isinstance(as_constraint(["a", "b"]), Choices)
    code = regex("[0-9]+")
    assert as_constraint(code) is code and isinstance(code, Regex)


def test_equal_constraints_compare_and_hash_equal() -> None:
    assert choices(["a", "b"]) == choices(["a", "b"])
    assert len({json_schema(Person), json_schema(Person)}) == 1


def test_response_format_json_schema_becomes_its_schema() -> None:
    schema = Person.model_json_schema()
    fmt = {"type": "json_schema", "json_schema": {"name": "Person", "schema": schema}}
    constraint = constraint_from_response_format(fmt)
    assert isinstance(constraint, JsonSchema) and constraint.schema == schema


def test_response_format_json_object_accepts_a_flat_object() -> None:
    constraint = constraint_from_response_format({"type": "json_object"})
    assert constraint is not None
    assert regex_module.fullmatch(constraint.pattern, '{"a": 1, "b": [true, null, "x"]}')


def test_unknown_response_format_type_raises() -> None:
    with pytest.raises(ConstraintError, match="unknown response_format type 'yaml'"):
        constraint_from_response_format({"type": "yaml"})
