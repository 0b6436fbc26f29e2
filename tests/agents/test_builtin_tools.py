"""The built-in tools: calculator (a bounded AST evaluator, no eval), lookup, today."""

from __future__ import annotations

import datetime

import pytest

from promptcraft.agents import calculator, lookup, today
from promptcraft.agents.arithmetic import calculate
from promptcraft.errors import ToolError


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("12*3", "36"),
        ("36-5", "31"),
        ("7/2", "3.5"),
        ("10/4*2", "5"),
        ("2/3", "0.6667"),
        ("-(2+3)*4", "-20"),
        ("2**10", "1024"),
        ("17 // 5", "3"),
        ("17 % 5", "2"),
    ],
)
def test_calculator_evaluates_arithmetic(expression: str, value: str) -> None:
    assert calculate(expression) == value


@pytest.mark.parametrize(
    "expression",
    ["__import__('os').system('true')", "abs(-1)", "x + 1", "[1, 2]", "'a' * 3", "True + 1"],
)
def test_calculator_refuses_anything_but_arithmetic(expression: str) -> None:
    with pytest.raises(ValueError):
        calculate(expression)


@pytest.mark.parametrize(
    ("expression", "value"),
    [("7,245-3,867", "3378"), ("1,250,000/1,000", "1250"), ("(1,250-387)+455", "1318")],
)
def test_calculator_reads_thousands_grouped_with_commas(expression: str, value: str) -> None:
    assert calculate(expression) == value


@pytest.mark.parametrize("expression", ["1,25+1", "3.1,000", "1,2345", "12,,345", "(1,2)"])
def test_calculator_refuses_a_comma_that_does_not_group_thousands(expression: str) -> None:
    with pytest.raises(ValueError):
        calculate(expression)


def test_calculator_bounds_the_exponent() -> None:
    with pytest.raises(ValueError, match="exponent too large"):
        calculate("2**1000")


def test_calculator_refuses_a_huge_power_before_computing_it() -> None:
    with pytest.raises(ValueError, match="result too large"):
        calculate("99**60")


def test_calculator_bounds_intermediate_results() -> None:
    with pytest.raises(ValueError, match="result too large"):
        calculate("999999*999999*999999")


def test_calculator_bounds_the_expression_length() -> None:
    with pytest.raises(ValueError, match="too long"):
        calculate("1+" * 60 + "1")


def test_calculator_tool_reports_division_by_zero_as_a_tool_error() -> None:
    with pytest.raises(ToolError, match="division by zero"):
        calculator.call({"expression": "1/0"})


def test_calculator_tool_reports_a_bad_expression_as_the_model_learned_it() -> None:
    with pytest.raises(ToolError, match=r"^invalid expression '12 x 3'$"):
        calculator.call({"expression": "12 x 3"})


def test_calculator_speaks_the_bundled_models_protocol() -> None:
    assert calculator.protocol_spec() == {
        "name": "calculator",
        "description": "evaluate an arithmetic expression",
        "args": {"expression": "string"},
    }


def test_lookup_answers_from_its_table_only() -> None:
    prices = lookup({"pen": 4, "cup": "3"})
    assert prices.call({"key": "pen"}) == "4"
    assert prices.call({"key": "cup"}) == "3"


def test_lookup_missing_key_is_a_tool_error_naming_it() -> None:
    with pytest.raises(ToolError, match=r"no entry for 'pens'"):
        lookup({"pen": 4}).call({"key": "pens"})


def test_lookup_takes_a_name_and_description() -> None:
    ages = lookup({"Ann": 30}, name="age_of", description="the age of a person")
    assert ages.protocol_spec()["name"] == "age_of"
    assert ages.description == "the age of a person"


def test_today_gives_the_iso_date() -> None:
    assert datetime.date.fromisoformat(today.call({})) == datetime.date.today()
