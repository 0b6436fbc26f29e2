"""The agent on the real bundled model, offline, over the text protocol. The model may be
retrained at any time, so these tests check properties of a run (it ends, its steps are
well-formed, its trace is written), never what the model answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.agents import BUNDLED_MODEL

from promptcraft.agents import Agent, AgentError, AgentResult, FinalOutput, calculator, lookup
from promptcraft.backends import LocalBackend, load_backend

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

if not (BUNDLED_MODEL / "model.safetensors").is_file():
    pytest.skip(f"the bundled model is not at {BUNDLED_MODEL}", allow_module_level=True)

QUESTION = (
    "A box holds 12 apples. Tom buys 3 boxes and gives away 5 apples. "
    "How many apples does Tom have left?"
)
PRICES = lookup({"pen": 4, "cup": 3}, description="look up a price or an age by its key")


@pytest.fixture(scope="module")
def backend() -> LocalBackend:
    import torch

    torch.set_num_threads(2)
    loaded = load_backend("pc-tiny")
    assert isinstance(loaded, LocalBackend)
    return loaded


def run(agent: Agent, task: str) -> AgentResult | AgentError:
    try:
        return agent.run(task)
    except AgentError as error:
        return error


def test_run_on_the_bundled_model_ends_within_max_steps(backend: LocalBackend) -> None:
    outcome = run(Agent(backend, tools=[calculator], max_steps=4), QUESTION)
    assert 1 <= len(outcome.steps) <= 4


def test_every_step_on_the_bundled_model_is_well_formed(backend: LocalBackend) -> None:
    outcome = run(
        Agent(backend, tools=[calculator, PRICES], max_steps=4), "How much do 3 pens cost?"
    )
    for step in outcome.steps:
        assert step.protocol == "text"
        assert step.usage.completion_tokens >= 1
        assert len(step.tool_results) == len(step.tool_calls) <= 1
        assert step.final or step.tool_calls or step.feedback is not None


def test_later_steps_reuse_the_prompt_cache(backend: LocalBackend) -> None:
    outcome = run(Agent(backend, tools=[calculator], max_steps=4), QUESTION)
    # pc-tiny calls the calculator before it answers this two-step problem
    assert len(outcome.steps) >= 2, [step.text for step in outcome.steps]
    assert outcome.steps[1].usage.cached_prompt_tokens > 0


def test_trace_of_a_bundled_model_run_is_written(backend: LocalBackend, tmp_path: Path) -> None:
    path = tmp_path / "trace.jsonl"
    outcome = run(Agent(backend, tools=[calculator], max_steps=3, trace=path), QUESTION)
    events = [json.loads(line)["event"] for line in path.read_text().splitlines()]
    assert events[0] == "run_start"
    assert events[-1] in ("run_end", "run_error")
    assert events.count("step") == len(outcome.steps)


def test_stream_on_the_bundled_model_ends_with_the_final_output(backend: LocalBackend) -> None:
    # an AgentError here (no answer within max_steps) fails the test
    events = list(Agent(backend, tools=[calculator], max_steps=4).stream(QUESTION))
    assert isinstance(events[-1], FinalOutput)


def test_constrained_actions_are_always_well_formed(backend: LocalBackend) -> None:
    assert backend.capabilities.constrained_decoding
    outcome = run(
        Agent(backend, tools=[calculator, PRICES], max_steps=4, output_retries=0),
        "What do 7 cups cost in total?",
    )
    offered = {"calculator", "lookup"}
    for step in outcome.steps:
        assert step.feedback is None, step.text
        for call in step.tool_calls:
            assert call.name in offered
            assert isinstance(call.arguments, dict)


def test_agent_without_tools_answers_on_the_bundled_model(backend: LocalBackend) -> None:
    assert backend.capabilities.constrained_decoding
    result = Agent(backend, tools=[], max_steps=3).run("What is 3 times 4?")
    assert len(result.steps) == 1
    assert result.steps[0].final
    assert result.steps[0].text.startswith("Answer:")


def test_tool_choice_required_makes_the_first_turn_a_call(backend: LocalBackend) -> None:
    assert backend.capabilities.constrained_decoding
    # pc-tiny answers this one from memory in one step when it may (the test above)
    agent = Agent(backend, tools=[calculator], max_steps=4, tool_choice="required")
    outcome = run(agent, "What is 3 times 4?")
    first = outcome.steps[0]
    assert first.tool_calls and first.tool_calls[0].name == "calculator", first.text
    assert first.feedback is None
