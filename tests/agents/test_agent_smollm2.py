"""The agent on the default model, SmolLM2-135M-Instruct, offline: each turn is constrained
to a well-formed call or an answer, and with its tool-use adapter it solves a two-step
problem. SmolLM2 is loaded once for the module (about 5 s, 1 GB), and once more with the
adapter (models/smollm2-tool-use/), which is part of the repository."""

from __future__ import annotations

import pytest

from promptcraft.agents import Agent, AgentError, calculator, lookup
from promptcraft.backends import LocalBackend, load_backend

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

PRICES = lookup({"cup": 4, "plate": 7, "bowl": 5}, description="look up the price of an item")


@pytest.fixture(scope="module")
def smollm2(smollm2_gguf: object) -> LocalBackend:
    import torch

    torch.set_num_threads(1)
    backend = load_backend("smollm2")
    assert isinstance(backend, LocalBackend)
    return backend


def test_every_turn_on_the_default_model_is_a_call_or_an_answer(smollm2: LocalBackend) -> None:
    agent = Agent(smollm2, tools=[calculator, PRICES], max_steps=3, output_retries=0)
    try:
        steps = agent.run("What do 6 cups and a plate cost?").steps
    except AgentError as error:  # max_steps: the turns must still be well-formed
        assert error.reason == "max_steps"
        steps = error.steps
    for step in steps:
        assert step.protocol == "text" and step.feedback is None, step.text
        for call, result in zip(step.tool_calls, step.tool_results, strict=True):
            assert call.name in ("calculator", "lookup") and isinstance(call.arguments, dict)
            assert result.ok, result.content


def test_an_agent_on_the_default_model_with_its_adapter_solves_a_two_step_problem(
    smollm2_gguf: object,
) -> None:
    """A problem in one of the recipe's wordings (recipes/tool_use_problems.py): the adapter
    makes both calls and answers with the last result. Held-out wordings are measured by
    benchmarks/agent.py, not here."""
    backend = load_backend("smollm2", adapter="smollm2-tool-use")  # the bundled adapter's name
    assert backend.model == "smollm2+tool-use" and backend.adapter_template == "tool_protocol"
    agent = Agent(backend, tools=[calculator], max_steps=4)
    result = agent.run(
        "A baker bakes 6 trays of 24 buns and 30 buns get burnt. How many buns can be sold?"
    )
    calls = [call.arguments for call in result.tool_calls]
    assert calls == [{"expression": "6*24"}, {"expression": "144-30"}]
    assert result.output == "114"
