"""ScriptedBackend and FunctionBackend: deterministic models for testing apps."""

from __future__ import annotations

import pytest

from promptcraft.backends.testing import FunctionBackend, ScriptedBackend, tool_call
from promptcraft.errors import BackendError, InvalidRequestError
from promptcraft.types import Request


def test_scripted_replies_come_in_order() -> None:
    backend = ScriptedBackend(["one", "two"])
    assert [backend.generate("x").text, backend.generate("y").text] == ["one", "two"]


def test_scripted_text_is_cut_at_the_stop_strings() -> None:
    backend = ScriptedBackend(["Action: a\nObservation: b"])
    assert backend.generate("x", stop=["\nObservation:"]).text == "Action: a"


def test_scripted_backend_records_requests() -> None:
    backend = ScriptedBackend(["ok"])
    backend.chat([{"role": "user", "content": "hello there"}], temperature=0)
    assert backend.requests[0].params.temperature == 0
    assert backend.requests[0].messages is not None


def test_running_out_of_replies_raises() -> None:
    backend = ScriptedBackend([])
    with pytest.raises(BackendError, match="ran out of replies"):
        backend.generate("x")


def test_tool_calls_need_a_native_backend() -> None:
    backend = ScriptedBackend([tool_call("f")])
    with pytest.raises(BackendError, match="native_tool_calls=True"):
        backend.chat([{"role": "user", "content": "x"}])


def test_a_backend_without_native_calls_refuses_tools() -> None:
    with pytest.raises(InvalidRequestError, match="tools"):
        ScriptedBackend(["x"]).chat([{"role": "user", "content": "x"}], tools=[{}])


def test_native_tool_calls_come_back_on_the_completion() -> None:
    call = tool_call("add", a=1, b=2)
    out = ScriptedBackend([call], native_tool_calls=True).chat([{"role": "user", "content": "x"}])
    assert (out.tool_calls, out.finish_reason) == ([call], "tool_calls")


def test_usage_counts_words() -> None:
    out = ScriptedBackend(["three little words"]).generate("two words")
    assert (out.usage.prompt_tokens, out.usage.completion_tokens) == (2, 3)


def test_stream_joins_to_the_completion() -> None:
    chunks = list(ScriptedBackend(["a b c"]).stream("x"))
    assert "".join(c.text for c in chunks) == "a b c"
    assert chunks[-1].finish_reason == "stop"


def test_function_backend_answers_from_the_request() -> None:
    def echo(request: Request) -> str:
        return (request.prompt or "").upper()

    assert FunctionBackend(echo).generate("shout").text == "SHOUT"


def test_action_line_replies_drive_an_agent_on_the_text_protocol() -> None:
    from promptcraft.agents import Agent, action_line, calculator

    backend = ScriptedBackend([action_line("calculator", expression="6*7"), "Answer: 42"])
    result = Agent(backend, tools=[calculator]).run("6 times 7?")
    assert result.output == "42"
    assert result.steps[0].tool_results[0].content == "42"
