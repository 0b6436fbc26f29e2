"""The agent over native tool calls (OpenAI-style), with a scripted model."""

from __future__ import annotations

import json
import threading

from pydantic import BaseModel

from promptcraft.agents import Agent, calculator, tool
from promptcraft.backends.testing import ScriptedBackend, tool_call

# Two calls can both pass this barrier only when they run at the same time.
_together = threading.Barrier(2, timeout=10)


@tool
def left(x: int) -> int:
    """Waits for `right`."""
    _together.wait()
    return x


@tool
def right(x: int) -> int:
    """Waits for `left`."""
    _together.wait()
    return -x


def test_native_backend_gets_the_tools_in_the_request() -> None:
    backend = ScriptedBackend(["Hello."], native_tool_calls=True)
    Agent(backend, tools=[calculator]).run("Hi")
    request = backend.requests[0]
    assert request.tools == [calculator.openai_schema()]
    assert request.tool_choice == "auto"


def test_instructions_are_the_system_message() -> None:
    backend = ScriptedBackend(["Hello."], native_tool_calls=True)
    Agent(backend, tools=[calculator], instructions="Be terse.").run("Hi")
    messages = backend.requests[0].messages or ()
    assert [(m.role, m.content) for m in messages] == [("system", "Be terse."), ("user", "Hi")]


def test_tool_results_go_back_as_tool_messages_after_the_calls() -> None:
    call = tool_call("calculator", expression="6*7")
    backend = ScriptedBackend([call, "42"], native_tool_calls=True)
    result = Agent(backend, tools=[calculator]).run("6 times 7?")
    assert result.output == "42"
    messages = backend.requests[1].messages or ()
    assert messages[-2].role == "assistant"
    assert messages[-2].tool_calls == (call,)
    assert (messages[-1].role, messages[-1].content) == ("tool", "42")
    assert messages[-1].tool_call_id == call.id


def test_parallel_calls_run_concurrently() -> None:
    backend = ScriptedBackend(
        [[tool_call("left", x=1), tool_call("right", x=2)], "done"], native_tool_calls=True
    )
    result = Agent(backend, tools=[left, right]).run("Both.")
    assert [(r.name, r.content) for r in result.steps[0].tool_results] == [
        ("left", "1"),
        ("right", "-2"),
    ]


def test_parallel_results_keep_the_order_of_the_calls() -> None:
    calls = [tool_call("calculator", expression=f"{i}*2") for i in range(5)]
    backend = ScriptedBackend([calls, "done"], native_tool_calls=True)
    Agent(backend, tools=[calculator]).run("Many.")
    messages = backend.requests[1].messages or ()
    assert [m.tool_call_id for m in messages[-5:]] == [c.id for c in calls]


def test_malformed_call_arguments_become_an_observation() -> None:
    backend = ScriptedBackend(
        [tool_call("calculator", '{"expression": "1+'), "ok"], native_tool_calls=True
    )
    result = Agent(backend, tools=[calculator]).run("Hi")
    observation = result.steps[0].tool_results[0]
    assert observation.problem == "invalid_arguments"
    assert "are not JSON" in observation.content


class Answer(BaseModel):
    value: int
    unit: str


def test_typed_output_offers_a_final_result_tool() -> None:
    backend = ScriptedBackend(
        [tool_call("final_result", value=3, unit="m")], native_tool_calls=True
    )
    result = Agent(backend, tools=[calculator], output_type=Answer).run("How long?")
    assert result.output == Answer(value=3, unit="m")
    names = [t["function"]["name"] for t in backend.requests[0].tools or []]
    assert names == ["calculator", "final_result"]


def test_invalid_final_result_is_fed_back_as_the_calls_result() -> None:
    first = tool_call("final_result", value="three", unit="m")
    backend = ScriptedBackend(
        [first, tool_call("final_result", value=3, unit="m")], native_tool_calls=True
    )
    result = Agent(backend, tools=[], output_type=Answer).run("How long?")
    assert result.output.value == 3
    feedback = (backend.requests[1].messages or ())[-1]
    assert feedback.role == "tool" and feedback.tool_call_id == first.id
    assert "value: Input should be a valid integer" in feedback.content


def test_typed_output_given_as_json_text_is_accepted() -> None:
    backend = ScriptedBackend(['```json\n{"value": 2, "unit": "s"}\n```'], native_tool_calls=True)
    result = Agent(backend, tools=[], output_type=Answer).run("How long?")
    assert result.output == Answer(value=2, unit="s")


def test_tool_call_written_as_text_is_recovered_and_run() -> None:
    written = 'Action: {"tool": "calculator", "args": {"expression": "6*7"}}'
    backend = ScriptedBackend([written, "42"], native_tool_calls=True)
    result = Agent(backend, tools=[calculator]).run("6 times 7?")
    assert result.steps[0].tool_results[0].content == "42"
    messages = backend.requests[1].messages or ()
    assert (messages[-2].role, messages[-2].content) == ("assistant", written)
    assert (messages[-1].role, messages[-1].content) == ("user", "Observation: 42")


def test_hermes_style_tool_call_in_text_is_recovered() -> None:
    written = '<tool_call>{"name": "calculator", "arguments": {"expression": "2+2"}}</tool_call>'
    backend = ScriptedBackend([written, "4"], native_tool_calls=True)
    result = Agent(backend, tools=[calculator]).run("2 plus 2?")
    assert result.steps[0].tool_calls[0].arguments == {"expression": "2+2"}


def test_text_protocol_can_be_chosen_on_a_native_backend() -> None:
    backend = ScriptedBackend(["Answer: 4"], native_tool_calls=True)
    result = Agent(backend, tools=[calculator], protocol="text").run("2 plus 2?")
    assert result.steps[0].protocol == "text"
    assert backend.requests[0].prompt is not None
    assert backend.requests[0].tools is None


def test_unknown_native_tool_is_an_observation() -> None:
    backend = ScriptedBackend([tool_call("search", q="x"), "fine"], native_tool_calls=True)
    result = Agent(backend, tools=[calculator]).run("Hi")
    content = result.steps[0].tool_results[0].content
    assert content == "error: unknown tool 'search'; use one of: calculator"
    assert json.loads(json.dumps(result.model_dump()))["output"] == "fine"


def test_tool_choice_required_asks_the_api_for_a_call_until_one_is_made() -> None:
    call = tool_call("calculator", expression="6*7")
    backend = ScriptedBackend([call, "42"], native_tool_calls=True)
    Agent(backend, tools=[calculator], tool_choice="required").run("6 times 7?")
    assert [r.tool_choice for r in backend.requests] == ["required", "auto"]
