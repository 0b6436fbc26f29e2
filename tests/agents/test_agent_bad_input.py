"""Bad input to an agent gets a clear error and loses nothing: mistakes in building one are
refused at once, and whatever a tool or a model does wrong during a run reaches the model as
an observation or the caller as an AgentError that names the cause."""

from __future__ import annotations

import json
import re
import sys
import threading
from pathlib import Path

import pytest
from pydantic import BaseModel
from support.agents import action

from promptcraft.agents import Agent, AgentError, ToolCallEvent, calculator, tool
from promptcraft.agents.text_protocol import action_pattern
from promptcraft.backends.testing import ScriptedBackend, tool_call
from promptcraft.types import Completion, Usage

# --- building an agent ------------------------------------------------------------------------


def test_agent_given_a_single_tool_instead_of_a_list_says_so() -> None:
    with pytest.raises(TypeError, match=r"tools is a list of tools, such as tools=\[calculator\]"):
        Agent(ScriptedBackend([]), tools=calculator)  # type: ignore[arg-type]


def test_agent_given_a_backend_spec_instead_of_a_backend_says_so() -> None:
    with pytest.raises(TypeError, match=r"backend must be a Backend, such as pc.load_backend"):
        Agent("local", tools=[calculator])  # type: ignore[arg-type]


def test_tool_named_final_result_is_refused_beside_a_typed_output() -> None:
    final = tool(name="final_result")(calculator.function)
    with pytest.raises(ValueError, match="'final_result' is the agent's own for a typed output"):
        Agent(ScriptedBackend([]), tools=[final], output_type=int)


def test_output_type_without_a_json_schema_is_refused_naming_it() -> None:
    class Untyped:
        pass

    with pytest.raises(TypeError, match=r"output_type .*Untyped.* has no JSON schema"):
        Agent(ScriptedBackend([]), output_type=Untyped)


# --- tools that misbehave --------------------------------------------------------------------


@tool
def quit_sync(code: int) -> str:
    """Exits."""
    sys.exit(code)


@tool
async def quit_async(code: int) -> str:
    """Exits."""
    sys.exit(code)


@pytest.mark.parametrize("name", ["quit_sync", "quit_async"])
def test_tool_calling_sys_exit_becomes_an_observation(name: str) -> None:
    backend = ScriptedBackend([action(name, code=2), "Answer: done"])
    result = Agent(backend, tools=[quit_sync, quit_async]).run("Go.")
    observation = result.steps[0].tool_results[0]
    assert observation.content == f"error: {name} exited (sys.exit(2))"
    assert observation.problem == "tool_error"
    assert result.output == "done"


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("cannot print")


@tool
def unprintable() -> str:
    """Fails oddly."""
    raise Unprintable


@tool
def silent() -> str:
    """Fails without a word."""
    raise ValueError


def test_tool_exception_whose_message_cannot_be_read_becomes_an_observation() -> None:
    backend = ScriptedBackend([action("unprintable"), "Answer: done"])
    result = Agent(backend, tools=[unprintable]).run("Go.")
    assert result.steps[0].tool_results[0].content == "error: Unprintable"


def test_tool_exception_without_a_message_is_named_by_its_type() -> None:
    backend = ScriptedBackend([action("silent"), "Answer: done"])
    result = Agent(backend, tools=[silent]).run("Go.")
    assert result.steps[0].tool_results[0].content == "error: ValueError"


def test_unknown_tool_observation_is_cut_to_the_output_limit() -> None:
    backend = ScriptedBackend([action("x" * 20_000), "Answer: done"])
    result = Agent(backend, tools=[calculator]).run("Go.")
    content = result.steps[0].tool_results[0].content
    assert content.startswith("error: unknown tool 'xxx")
    assert len(content) == 4000
    assert "characters left out]" in content


@tool
def list_files() -> list[str]:
    """File names, as os.listdir gives them for a name that is not UTF-8."""
    return [b"caf\xe9.txt".decode("utf-8", "surrogateescape")]


def test_tool_output_with_undecodable_characters_reaches_the_model_and_the_trace(
    tmp_path: Path,
) -> None:
    trace = tmp_path / "trace.jsonl"
    backend = ScriptedBackend([action("list_files"), "Answer: done"])
    result = Agent(backend, tools=[list_files], trace=trace).run("List the files.")
    assert result.steps[0].tool_results[0].content == '["caf\ufffd.txt"]'
    assert [json.loads(line)["event"] for line in trace.read_text().splitlines()][-1] == "run_end"


def test_task_with_undecodable_characters_is_traced_not_fatal(tmp_path: Path) -> None:
    trace = tmp_path / "trace.jsonl"
    task = "Read " + b"caf\xe9".decode("utf-8", "surrogateescape")
    Agent(ScriptedBackend(["Answer: ok"]), tools=[], trace=trace).run(task)
    assert json.loads(trace.read_text().splitlines()[0])["task"] == task


# --- answers that do not fit -----------------------------------------------------------------


@pytest.mark.parametrize("answer", ["42", "true", "[1, 2]"])
def test_text_answer_that_looks_like_json_is_accepted_for_a_str_output(answer: str) -> None:
    backend = ScriptedBackend([f"Answer: {answer}"])
    assert Agent(backend, tools=[], output_type=str).run("Go.").output == answer


class Total(BaseModel):
    item: str
    total: int


def test_answer_that_is_not_json_for_a_model_output_is_told_so() -> None:
    backend = ScriptedBackend(["Answer: {'item': 'pen', 'total': 12}", 'Answer: {"item": "pen"}'])
    with pytest.raises(AgentError):
        Agent(backend, tools=[], output_type=Total, output_retries=1).run("Go.")
    observation = (backend.requests[1].prompt or "").splitlines()[-1]
    assert observation == (
        "Observation: error: the answer is not JSON; write it as one line of JSON matching "
        "the schema"
    )


def test_answer_with_text_after_its_json_is_accepted() -> None:
    backend = ScriptedBackend(['Answer: {"item": "pen", "total": 12} (three pens at 4)'])
    assert Agent(backend, tools=[], output_type=Total).run("Go.").output.total == 12


def test_output_validation_error_names_the_answer() -> None:
    backend = ScriptedBackend(["Answer: twelve", "Answer: 12"])
    result = Agent(backend, tools=[], output_type=int).run("Go.")
    assert result.steps[0].feedback == (
        "error: the answer does not match the schema: answer: Input should be a valid "
        "integer, unable to parse string as an integer"
    )


@pytest.mark.parametrize(
    "text",
    [
        '<tool_call>{"name": "final_result", "arguments": {"item": "pen", "total": 12}}'
        "</tool_call>",
        '{"name": "final_result", "arguments": {"item": "pen", "total": 12}}',
    ],
)
def test_final_result_call_written_as_text_gives_the_typed_output(text: str) -> None:
    backend = ScriptedBackend([text], native_tool_calls=True)
    result = Agent(backend, tools=[calculator], output_type=Total).run("Go.")
    assert result.output == Total(item="pen", total=12)


# --- constrained replies ---------------------------------------------------------------------


def test_reply_line_of_an_agent_without_tools_can_only_be_an_answer() -> None:
    pattern = action_pattern([])
    assert pattern is not None
    assert re.fullmatch(pattern, "Action: ") is None
    assert re.fullmatch(pattern, "Answer: 12") is not None


# --- runs that end without an answer ------------------------------------------------------------


def test_max_steps_error_after_native_calls_names_the_last_calls() -> None:
    backend = ScriptedBackend(
        [tool_call("calculator", expression="1+1")] * 2, native_tool_calls=True
    )
    with pytest.raises(AgentError) as caught:
        Agent(backend, tools=[calculator], max_steps=2).run("Go.")
    assert str(caught.value) == (
        'no answer after max_steps=2 steps; the last step called calculator({"expression": "1+1"})'
    )


def test_reply_cut_at_max_tokens_is_named_in_the_agent_error() -> None:
    cut = Completion(
        text='Action: {"tool": "calculator", "args": {"expression": "1+1+1+1',
        finish_reason="length",
        usage=Usage(prompt_tokens=10, completion_tokens=64),
        model="scripted",
    )
    with pytest.raises(AgentError, match=r"cut at max_tokens \(64 tokens\)") as caught:
        Agent(ScriptedBackend([cut] * 3), tools=[calculator]).run("Go.")
    assert caught.value.reason == "output_retries"


# --- streaming ---------------------------------------------------------------------------------

calls_made: list[str] = []


@tool
def record(note: str) -> str:
    """Records a note."""
    calls_made.append(note)
    return "noted"


def test_stopping_a_stream_stops_the_run() -> None:
    calls_made.clear()
    before = set(threading.enumerate())
    backend = ScriptedBackend([action("record", note="a"), action("record", note="b")] * 3)
    stream = Agent(backend, tools=[record], max_steps=6).stream("Take notes.")
    for event in stream:
        if isinstance(event, ToolCallEvent):
            break
    stream.close()  # type: ignore[attr-defined]
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=30)
    assert calls_made == []
    assert len(backend.requests) == 1
