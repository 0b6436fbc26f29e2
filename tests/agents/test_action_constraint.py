"""The regular expression that constrains a local model's reply line to a well-formed
action of an offered tool, or an answer."""

from __future__ import annotations

import re

import pytest
from agent_support import action

from promptcraft.agents import calculator, lookup, tool
from promptcraft.agents.text_protocol import action_constraint, action_pattern

TOOLS = [calculator, lookup({"pen": 4})]


def matches(line: str, pattern: str | None) -> bool:
    assert pattern is not None
    return re.fullmatch(pattern, line) is not None


@pytest.mark.parametrize(
    "line",
    [
        action("calculator", expression="12*3"),
        action("lookup", key="pen") + "\n",
        action("calculator", expression='say "hi"'),
        "Answer: 31",
    ],
)
def test_pattern_accepts_well_formed_lines(line: str) -> None:
    assert matches(line, action_pattern(TOOLS))


@pytest.mark.parametrize(
    "line",
    [
        action("calc", expression="12*3"),
        action("calculator", expr="12*3"),
        'Action: {"tool": "calculator", "args": {"expression": 12}}',
        "Action: calculator(12*3)",
        "The answer is 31",
        "Answer: 31\nAction: more",
    ],
)
def test_pattern_refuses_malformed_lines(line: str) -> None:
    assert not matches(line, action_pattern(TOOLS))


def test_pattern_types_integer_and_boolean_arguments() -> None:
    @tool
    def repeat(times: int, loud: bool) -> str:
        """Repeat."""
        return ""

    pattern = action_pattern([repeat])
    assert matches(action("repeat", times=3, loud=True), pattern)
    assert not matches(action("repeat", times="3", loud=True), pattern)


def test_non_scalar_arguments_leave_the_line_unconstrained() -> None:
    @tool
    def total(values: list[int]) -> int:
        """Sum."""
        return sum(values)

    assert action_pattern([total]) is None


def test_typed_answers_must_match_the_output_schema() -> None:
    constraint = action_constraint(
        TOOLS, {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    )
    if constraint is None:
        pytest.skip("promptcraft.structured is not available")
    assert matches('Answer: {"n": 3}', constraint.pattern)
    assert not matches("Answer: three", constraint.pattern)
