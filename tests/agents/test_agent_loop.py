"""The agent loop over the text protocol, driven by a scripted model: steps, observations,
usage, typed output and the streamed events."""

from __future__ import annotations

import asyncio
import threading

import pytest
from pydantic import BaseModel
from support.agents import action

from promptcraft.agents import (
    Agent,
    AgentResult,
    FinalOutput,
    ModelText,
    StepStart,
    ToolCallEvent,
    ToolResultEvent,
    calculator,
    lookup,
)
from promptcraft.backends.testing import ScriptedBackend

QUESTION = "A box holds 12 apples. Tom buys 3 boxes and gives away 5. How many are left?"


def solved() -> ScriptedBackend:
    return ScriptedBackend(
        [
            action("calculator", expression="12*3") + "\nObservation: 99",
            action("calculator", expression="36-5"),
            "Answer: 31",
        ]
    )


def test_agent_runs_tools_until_the_answer() -> None:
    result = Agent(solved(), tools=[calculator]).run(QUESTION)
    assert result.output == "31"
    assert [r.content for s in result.steps for r in s.tool_results] == ["36", "31"]


def test_run_returns_only_once_its_thread_has_ended() -> None:
    """A program may exit right after ``run``: a run thread still alive inside torch at
    interpreter exit aborts the process ("terminate called without an active exception")."""
    Agent(solved(), tools=[calculator]).run(QUESTION)
    assert [t.name for t in threading.enumerate() if t.name == "promptcraft-agent"] == []


def test_each_step_records_the_models_text_and_the_final_flag() -> None:
    result = Agent(solved(), tools=[calculator]).run(QUESTION)
    assert [s.index for s in result.steps] == [1, 2, 3]
    assert [s.final for s in result.steps] == [False, False, True]
    assert result.steps[0].text == action("calculator", expression="12*3")


def test_observation_comes_from_the_tool_not_from_the_models_continuation() -> None:
    backend = solved()
    Agent(backend, tools=[calculator]).run(QUESTION)
    second_prompt = backend.requests[1].prompt
    assert second_prompt is not None
    assert second_prompt.endswith(action("calculator", expression="12*3") + "\nObservation: 36\n")


def test_text_protocol_prompt_is_the_bundled_template() -> None:
    backend = solved()
    Agent(backend, tools=[calculator]).run(QUESTION)
    first = backend.requests[0].prompt
    assert first is not None
    assert 'calculator: evaluate an arithmetic expression. args: {"expression": "string"}' in first
    assert first.endswith(f"Question: {QUESTION}\n")


def test_text_protocol_stops_at_the_observation() -> None:
    backend = solved()
    Agent(backend, tools=[calculator]).run(QUESTION)
    assert "\nObservation:" in backend.requests[0].params.stop


def test_usage_totals_the_steps() -> None:
    result = Agent(solved(), tools=[calculator]).run(QUESTION)
    assert result.usage.prompt_tokens == sum(s.usage.prompt_tokens for s in result.steps)
    assert result.usage.completion_tokens == sum(s.usage.completion_tokens for s in result.steps)
    assert result.usage.completion_tokens > 0


def test_instructions_come_before_the_protocol() -> None:
    backend = ScriptedBackend(["Answer: 1"])
    Agent(backend, tools=[calculator], instructions="Be brief.").run("What is 1?")
    assert (backend.requests[0].prompt or "").startswith("Be brief.\nUse the tools to answer.")


class Price(BaseModel):
    item: str
    total: int


def test_typed_output_is_validated_from_the_answer_json() -> None:
    backend = ScriptedBackend(['Answer: {"item": "pen", "total": 12}'])
    result = Agent(backend, tools=[calculator], output_type=Price).run("3 pens at 4?")
    assert result.output == Price(item="pen", total=12)


def test_typed_output_instructions_carry_the_schema() -> None:
    backend = ScriptedBackend(['Answer: {"item": "pen", "total": 12}'])
    Agent(backend, tools=[calculator], output_type=Price).run("3 pens at 4?")
    assert '"total":{"title":"Total","type":"integer"}' in (backend.requests[0].prompt or "")


def test_invalid_typed_output_is_fed_back_and_retried() -> None:
    backend = ScriptedBackend(['Answer: {"item": "pen"}', 'Answer: {"item": "pen", "total": 12}'])
    result = Agent(backend, tools=[calculator], output_type=Price).run("3 pens at 4?")
    assert result.output.total == 12
    assert result.steps[0].feedback is not None
    assert "total: Field required" in result.steps[0].feedback
    assert "total: Field required" in (backend.requests[1].prompt or "")


def test_stream_yields_typed_events_in_order() -> None:
    events = list(Agent(solved(), tools=[calculator]).stream(QUESTION))
    kinds = [type(e) for e in events]
    assert kinds[0] is StepStart
    assert kinds[-1] is FinalOutput
    first_call = kinds.index(ToolCallEvent)
    assert ModelText in kinds[:first_call]
    assert kinds[first_call + 1] is ToolResultEvent
    assert sum(k is StepStart for k in kinds) == 3


def test_streamed_text_joins_to_each_steps_text() -> None:
    events = list(Agent(solved(), tools=[calculator]).stream(QUESTION))
    final = events[-1]
    assert isinstance(final, FinalOutput)
    for step in final.result.steps:
        deltas = [e.delta for e in events if isinstance(e, ModelText) and e.step == step.index]
        assert "".join(deltas) == step.text


def test_arun_gives_the_same_result_as_run() -> None:
    result = asyncio.run(Agent(solved(), tools=[calculator]).arun(QUESTION))
    assert isinstance(result, AgentResult)
    assert result.output == "31"


def test_run_works_inside_a_running_event_loop() -> None:
    async def inside() -> str:
        return Agent(solved(), tools=[calculator]).run(QUESTION).output

    assert asyncio.run(inside()) == "31"


def test_agent_refuses_two_tools_with_one_name() -> None:
    with pytest.raises(ValueError, match="two tools share the name 'lookup'"):
        Agent(ScriptedBackend([]), tools=[lookup({}), lookup({"a": 1})])


def test_agent_refuses_an_empty_task() -> None:
    with pytest.raises(ValueError, match="non-empty string"):
        Agent(ScriptedBackend([]), tools=[calculator]).run("  ")


def test_tool_choice_required_sends_an_early_answer_back_as_a_correction() -> None:
    replies = ["Answer: 42", action("calculator", expression="6*7"), "Answer: 42"]
    backend = ScriptedBackend(replies)
    result = Agent(backend, tools=[calculator], tool_choice="required").run("6 times 7?")
    assert result.output == "42"
    assert result.steps[0].feedback == "error: call one of the tools before you answer"
    assert result.steps[1].tool_calls[0].name == "calculator"


def test_tool_choice_is_auto_or_required() -> None:
    with pytest.raises(ValueError, match="tool_choice must be 'auto' or 'required'"):
        Agent(ScriptedBackend([]), tools=[calculator], tool_choice="any")  # type: ignore[arg-type]
