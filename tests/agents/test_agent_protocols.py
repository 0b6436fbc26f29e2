"""The text protocol as SmolLM2 is shown it (demonstrations, thoughts, the lookup keys) and
the chat protocol (``react_agent``), driven by scripted models: one loop, small protocols."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from support.agents import REPO_ROOT, action

from promptcraft.agents import Agent, calculator, lookup
from promptcraft.agents.protocol_choice import ProtocolSettings
from promptcraft.backends.testing import ScriptedBackend
from promptcraft.prompts import PromptLibrary

SHOWN = ProtocolSettings("text", demonstrations=True, thoughts=True, choices=True)
PRICES = lookup({"cup": 4, "plate": 7}, description="look up the price of an item")


def test_a_thought_before_the_action_is_read_and_shown_in_the_next_prompt() -> None:
    backend = ScriptedBackend(
        [
            "Thought: first the price of a cup.\n" + action("lookup", key="cup"),
            "Thought: six cups.\n" + action("calculator", expression="6*4"),
            "Answer: 24",
        ]
    )
    result = Agent(backend, tools=[calculator, PRICES], protocol=SHOWN).run("What do 6 cups cost?")
    assert result.output == "24"
    assert [c.name for c in result.tool_calls] == ["lookup", "calculator"]
    last = backend.requests[2].prompt
    assert last is not None
    assert last.endswith(
        "Thought: six cups.\n" + action("calculator", expression="6*4") + "\nObservation: 24\n"
    )


def test_demonstrations_come_before_the_question_with_the_offered_tools() -> None:
    backend = ScriptedBackend(["Answer: 24"])
    Agent(backend, tools=[calculator, PRICES], protocol=SHOWN).run("What do 6 cups cost?")
    prompt = backend.requests[0].prompt
    assert prompt is not None
    demo, question = prompt.index("Question: A shop has"), prompt.index("What do 6 cups cost?")
    assert demo < question
    assert prompt.count("\nAnswer: ") == 2  # the two worked runs end with their answers


def test_lookup_keys_are_listed_for_a_model_that_needs_them() -> None:
    backend = ScriptedBackend(["Answer: 24"])
    Agent(backend, tools=[PRICES], protocol=SHOWN).run("What does a cup cost?")
    assert 'look up the price of an item (key: one of "cup", "plate")' in backend.requests[0].prompt


def test_pc_tiny_sees_exactly_the_prompt_it_was_trained_on() -> None:
    backend = ScriptedBackend(["Answer: 24"], model="pc-tiny")
    Agent(backend, tools=[calculator]).run("What is 6 times 4?")
    assert backend.requests[0].prompt == (
        "Use the tools to answer. Write one Action line, then wait for its Observation. End with "
        '"Answer: <answer>".\nTools:\ncalculator: evaluate an arithmetic expression. args: '
        '{"expression": "string"}\nQuestion: What is 6 times 4?\n'
    )


def test_the_chat_protocol_sends_each_observation_as_a_user_turn() -> None:
    backend = ScriptedBackend(
        [
            'Thought: multiply.\nAction: calculator\nAction Input: {"expression": "6*7"}',
            "Thought: I know the answer\nFinal Answer: 42",
        ]
    )
    result = Agent(backend, tools=[calculator], protocol="chat").run("What is 6 times 7?")
    assert result.output == "42"
    assert result.steps[0].protocol == "chat"
    messages = backend.requests[1].messages
    assert messages is not None
    assert [m.role for m in messages[-3:]] == ["user", "assistant", "user"]
    assert messages[-3].content == "Task: What is 6 times 7?"
    assert messages[-1].content == "Observation: 42"


def test_errors_stay_observations_in_the_chat_protocol() -> None:
    backend = ScriptedBackend(
        [
            'Action: calc\nAction Input: {"expression": "6*7"}',
            'Action: calculator\nAction Input: {"expression": "6 x 7"}',
            "I think it is 42",
            "Final Answer: 42",
        ]
    )
    result = Agent(backend, tools=[calculator], protocol="chat").run("What is 6 times 7?")
    assert result.output == "42"
    said = [r.content for s in result.steps for r in s.tool_results]
    assert said[0].startswith("error: unknown tool 'calc'")
    assert said[1] == "error: invalid expression '6 x 7'"
    assert result.steps[2].feedback is not None and "Final Answer" in result.steps[2].feedback


def test_a_tool_that_raises_is_an_observation_in_the_text_protocol() -> None:
    backend = ScriptedBackend(
        [action("calculator", expression="1/0"), action("lookup", key="mug"), "Answer: none"]
    )
    result = Agent(backend, tools=[calculator, PRICES], protocol=SHOWN).run("1/0?")
    said = [r.content for s in result.steps for r in s.tool_results]
    assert said == ["error: division by zero", "error: no entry for 'mug'"]


def test_smollm2_with_its_adapter_is_sent_the_prompt_the_recipe_trained_it_on() -> None:
    recipe = _recipe()
    problem = recipe.problems_module.Problem(
        question="What do 3 kites cost?",
        calls=[("lookup", "kite"), ("calculator", "3*12")],
        table={"kite": 12, "ball": 5},
        description="look up the price in dollars of a toy",
    )
    first_turn = recipe.examples_of(problem)[0]
    backend = ScriptedBackend(["Answer: 36"], model="smollm2+tool-use")
    prices = lookup(problem.table, description=problem.description)
    Agent(backend, tools=[calculator, prices]).run(problem.question)
    trained_on = PromptLibrary().get("tool_protocol").render(**first_turn["input"])
    assert backend.requests[0].prompt == trained_on


def _recipe() -> ModuleType:
    """recipes/smollm2_tool_use.py (a script, not a package), imported by path."""
    spec = importlib.util.spec_from_file_location(
        "smollm2_tool_use", REPO_ROOT / "recipes" / "smollm2_tool_use.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
