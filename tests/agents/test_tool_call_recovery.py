"""Tool calls written as text by a model with a native API are recovered."""

from __future__ import annotations

from promptcraft.agents.recover import recover_tool_calls

TOOLS = ["calculator", "lookup"]


def test_text_protocol_action_line_is_recovered() -> None:
    text = 'Let me compute.\nAction: {"tool": "calculator", "args": {"expression": "2*3"}}'
    assert recover_tool_calls(text, TOOLS) == [
        (
            "calculator",
            {"expression": "2*3"},
            '{"tool": "calculator", "args": {"expression": "2*3"}}',
        )
    ]


def test_hermes_tool_call_blocks_are_recovered_in_order() -> None:
    text = (
        '<tool_call>{"name": "lookup", "arguments": {"key": "pen"}}</tool_call>\n'
        '<tool_call>{"name": "calculator", "arguments": {"expression": "1+1"}}</tool_call>'
    )
    assert [(name, args) for name, args, _ in recover_tool_calls(text, TOOLS)] == [
        ("lookup", {"key": "pen"}),
        ("calculator", {"expression": "1+1"}),
    ]


def test_react_action_and_input_are_recovered() -> None:
    text = 'Thought: I need a price.\nAction: lookup\nAction Input: {"key": "pen"}'
    assert [(n, a) for n, a, _ in recover_tool_calls(text, TOOLS)] == [("lookup", {"key": "pen"})]


def test_bare_json_naming_a_known_tool_is_recovered() -> None:
    text = '```json\n{"name": "calculator", "arguments": "{\\"expression\\": \\"9/3\\"}"}\n```'
    assert [(n, a) for n, a, _ in recover_tool_calls(text, TOOLS)] == [
        ("calculator", {"expression": "9/3"})
    ]


def test_bare_json_naming_no_offered_tool_is_an_answer_not_a_call() -> None:
    assert recover_tool_calls('{"name": "Ann", "age": 31}', TOOLS) == []


def test_explicit_action_with_unknown_tool_is_still_a_call() -> None:
    text = 'Action: {"tool": "search", "args": {"q": "x"}}'
    assert [n for n, _, _ in recover_tool_calls(text, TOOLS)] == ["search"]


def test_plain_text_has_no_calls() -> None:
    assert recover_tool_calls("The answer is 42.", TOOLS) == []
