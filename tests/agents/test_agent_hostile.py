"""Hostile tools and models: every failure becomes an observation for the model, within the
retry budgets, and a run that cannot finish ends with AgentError, never a hang."""

from __future__ import annotations

import time

import pytest
from support.agents import action

from promptcraft.agents import Agent, AgentError, calculator, tool
from promptcraft.backends.testing import FunctionBackend, ScriptedBackend
from promptcraft.errors import BackendError, ContextLengthError
from promptcraft.types import Request


@tool
def explode(reason: str) -> str:
    """Always fails."""
    raise RuntimeError(f"boom: {reason}")


@tool(timeout=0.1)
def sleepy(seconds: float) -> str:
    """Sleeps."""
    time.sleep(seconds)
    return "awake"


@tool(max_output_chars=500)
def flood(n: int) -> str:
    """Returns n characters."""
    return "y" * n


def test_tool_that_raises_becomes_an_error_observation() -> None:
    backend = ScriptedBackend([action("explode", reason="x"), "Answer: gave up"])
    result = Agent(backend, tools=[explode]).run("Do it.")
    observation = result.steps[0].tool_results[0]
    assert observation.content == "error: RuntimeError: boom: x"
    assert observation.problem == "tool_error"
    assert "Observation: error: RuntimeError: boom: x" in (backend.requests[1].prompt or "")


def test_tool_that_sleeps_past_its_timeout_becomes_an_observation() -> None:
    backend = ScriptedBackend([action("sleepy", seconds=60), "Answer: done"])
    result = Agent(backend, tools=[sleepy]).run("Do it.")
    observation = result.steps[0].tool_results[0]
    assert observation.problem == "timeout"
    assert observation.content == "error: sleepy did not finish within 0.1 seconds"
    assert result.output == "done"


def test_huge_tool_output_reaches_the_model_truncated() -> None:
    backend = ScriptedBackend([action("flood", n=1_000_000), "Answer: ok"])
    result = Agent(backend, tools=[flood]).run("Do it.")
    content = result.steps[0].tool_results[0].content
    assert len(content) == 500
    assert "truncated: 999500 of 1000000 characters left out" in content
    assert len(backend.requests[1].prompt or "") < 2000


def test_unknown_tool_observation_names_the_offered_tools() -> None:
    backend = ScriptedBackend([action("calc", expression="1+1"), "Answer: 2"])
    result = Agent(backend, tools=[calculator, explode]).run("Do it.")
    observation = result.steps[0].tool_results[0]
    assert observation.content == "error: unknown tool 'calc'; use one of: calculator, explode"
    assert observation.problem == "unknown_tool"


def test_invalid_arguments_observation_carries_the_validation_message() -> None:
    backend = ScriptedBackend([action("calculator", expr="1+1"), "Answer: 2"])
    result = Agent(backend, tools=[calculator]).run("Do it.")
    content = result.steps[0].tool_results[0].content
    assert content.startswith('error: calculator takes args {"expression": "string"}')
    assert "expression: Field required" in content
    assert "expr: unexpected argument" in content


def test_action_that_is_not_json_is_answered_with_the_expected_form() -> None:
    backend = ScriptedBackend(["Action: calculator(1+1)", "Answer: 2"])
    result = Agent(backend, tools=[calculator]).run("Do it.")
    assert result.steps[0].feedback == 'error: write the action as {"tool": name, "args": {...}}'
    prompt = backend.requests[1].prompt or ""
    assert "Action: calculator(1+1)\nObservation: error: write the action as" in prompt


def test_reply_that_is_neither_action_nor_answer_is_fed_back() -> None:
    backend = ScriptedBackend(["I think it is two.", "Answer: 2"])
    result = Agent(backend, tools=[calculator]).run("Do it.")
    assert result.output == "2"
    assert result.steps[0].feedback is not None
    assert "Answer: <answer>" in result.steps[0].feedback


def test_model_that_loops_ends_with_agent_error_at_max_steps() -> None:
    backend = ScriptedBackend([action("calculator", expression="1+1")] * 50)
    with pytest.raises(AgentError) as caught:
        Agent(backend, tools=[calculator], max_steps=4).run("Do it.")
    assert caught.value.reason == "max_steps"
    assert len(caught.value.steps) == 4
    assert len(backend.requests) == 4


def test_agent_error_carries_the_full_trace_and_usage() -> None:
    backend = ScriptedBackend([action("calculator", expression="1+1")] * 3)
    with pytest.raises(AgentError) as caught:
        Agent(backend, tools=[calculator], max_steps=3).run("Do it.")
    error = caught.value
    assert [s.tool_results[0].content for s in error.steps] == ["2", "2", "2"]
    assert error.usage.completion_tokens == sum(s.usage.completion_tokens for s in error.steps)


def test_tool_failing_past_its_retry_budget_ends_the_run() -> None:
    backend = ScriptedBackend([action("explode", reason=str(i)) for i in range(10)])
    with pytest.raises(AgentError, match="failed 3 times") as caught:
        Agent(backend, tools=[explode], tool_retries=2).run("Do it.")
    assert caught.value.reason == "tool_retries"
    assert len(caught.value.steps) == 3


def test_a_tools_own_retry_budget_wins() -> None:
    strict = tool(retries=0)(explode.function)
    backend = ScriptedBackend([action("explode", reason="x")] * 5)
    with pytest.raises(AgentError) as caught:
        Agent(backend, tools=[strict], tool_retries=3).run("Do it.")
    assert len(caught.value.steps) == 1


def test_output_failing_past_its_retry_budget_ends_the_run() -> None:
    backend = ScriptedBackend(["nonsense"] * 10)
    with pytest.raises(AgentError) as caught:
        Agent(backend, tools=[calculator], output_retries=1).run("Do it.")
    assert caught.value.reason == "output_retries"
    assert len(caught.value.steps) == 2


def test_failed_steps_count_in_the_usage() -> None:
    backend = ScriptedBackend(["nonsense", action("calculator", expression="1/0"), "Answer: 0"])
    result = Agent(backend, tools=[calculator]).run("Do it.")
    assert result.usage.completion_tokens == sum(s.usage.completion_tokens for s in result.steps)
    assert len(result.steps) == 3
    assert result.steps[1].tool_results[0].content == "error: division by zero"


def test_backend_failure_ends_the_run_with_the_finished_steps() -> None:
    backend = ScriptedBackend([action("calculator", expression="1+1")])
    with pytest.raises(AgentError, match="step 2: the model call failed") as caught:
        Agent(backend, tools=[calculator]).run("Do it.")
    assert caught.value.reason == "backend_error"
    assert isinstance(caught.value.__cause__, BackendError)
    assert [r.content for r in caught.value.steps[0].tool_results] == ["2"]


def test_run_that_outgrows_the_context_ends_with_agent_error() -> None:
    def model(request: Request) -> str:
        if len(request.prompt or "") > 400:
            raise ContextLengthError("prompt too long", prompt_tokens=600, max_context=512)
        return action("calculator", expression="1+1")

    with pytest.raises(AgentError) as caught:
        Agent(FunctionBackend(model), tools=[calculator]).run("Loop.")
    assert caught.value.reason == "context_length"
    assert isinstance(caught.value.__cause__, ContextLengthError)
    assert len(caught.value.steps) >= 1
