"""The grammar of a whole turn (an optional thought, then a call of an offered tool whose
arguments follow its JSON schema, or an answer), and its compile on SmolLM2's 49k tokens."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from support.agents import action

from promptcraft.agents import calculator, lookup, tool
from promptcraft.agents.text_protocol import action_constraint, action_pattern
from promptcraft.agents.turn_grammar import react_turn_pattern, turn_pattern

PRICES = lookup({"pen": 4, "cup": 3})
TOOLS = [calculator, PRICES]


def matches(text: str, pattern: str | None) -> bool:
    assert pattern is not None
    return re.fullmatch(pattern, text) is not None


@tool
def note(text: str) -> str:
    """Write a note."""
    return text


@pytest.mark.parametrize(
    "turn",
    [
        action("calculator", expression="12*3"),
        action("calculator", expression="(47 * 24) + 139"),
        action("lookup", key="pen") + "\n",
        "Answer: 31",
        "Answer: 31 pens, at 4 dollars each",
    ],
)
def test_a_turn_is_a_call_or_an_answer(turn: str) -> None:
    assert matches(turn, turn_pattern(TOOLS))


@pytest.mark.parametrize(
    "turn",
    [
        "Thought: first the price of a pen.\n" + action("lookup", key="pen"),
        "Thought: I know it now.\nAnswer: 12",
    ],
)
def test_a_thought_line_may_come_first_when_thoughts_are_on(turn: str) -> None:
    assert matches(turn, turn_pattern(TOOLS, thoughts=True))
    assert not matches(turn, turn_pattern(TOOLS))


@pytest.mark.parametrize(
    "turn",
    [
        action("calc", expression="12*3"),  # an unknown tool
        action("calculator", expr="12*3"),  # a wrong argument name
        action("calculator", expression="12 x 3"),  # not arithmetic
        action("calculator", expression="what is 12*3"),
        action("lookup", key="pens"),  # not a key of the table
        'Action: {"tool": "calculator", "args": {"expression": 12}}',
        "Action: calculator(12*3)",
        "The answer is 31",
        "Answer: 31\nAction: more",
        "Thought: one\nThought: two\nAnswer: 3",
    ],
)
def test_malformed_turns_do_not_match(turn: str) -> None:
    assert not matches(turn, turn_pattern(TOOLS, thoughts=True))


def test_strings_without_a_pattern_take_json_escapes() -> None:
    assert matches(action("note", text='say "hi"\n'), turn_pattern([note]))
    assert not matches(
        'Action: {"tool": "note", "args": {"text": "say "hi""}}', turn_pattern([note])
    )


def test_integer_boolean_and_list_arguments_follow_their_types() -> None:
    @tool
    def repeat(times: int, loud: bool, words: list[str]) -> str:
        """Repeat."""
        return ""

    pattern = turn_pattern([repeat])
    assert matches(action("repeat", times=3, loud=True, words=["a", "b"]), pattern)
    assert matches(action("repeat", times=-1, loud=False, words=[]), pattern)
    assert not matches(action("repeat", times="3", loud=True, words=["a"]), pattern)


def test_a_tool_with_free_form_object_arguments_leaves_the_turn_unconstrained() -> None:
    @tool
    def store(data: dict[str, int]) -> str:
        """Store."""
        return ""

    assert action_pattern([store]) is None


def test_without_tools_only_an_answer_matches() -> None:
    assert matches("Answer: 12", turn_pattern([]))
    assert not matches("Action: {}", turn_pattern([]))


def test_the_react_turn_names_the_tool_then_its_input() -> None:
    pattern = react_turn_pattern(TOOLS)
    turn = 'Thought: I need the price.\nAction: lookup\nAction Input: {"key": "cup"}'
    assert matches(turn, pattern)
    assert matches("Final Answer: 9", pattern)
    assert not matches('Action: lookup\nAction Input: {"key": "mug"}', pattern)


def test_typed_answers_must_match_the_output_schema() -> None:
    constraint = action_constraint(
        TOOLS, {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    )
    assert constraint is not None
    assert matches('Answer: {"n": 3}', constraint.pattern)
    assert not matches("Answer: three", constraint.pattern)


@pytest.mark.slow
def test_the_turn_constraint_compiles_quickly_on_smollm2s_vocabulary(
    smollm2_gguf: Path,
) -> None:
    from promptcraft.constraints.compile_limits import MAX_ESTIMATED_TRANSITIONS
    from promptcraft.structured import compile_constraint, regex
    from promptcraft.tokenizers.gguf_vocab import tokenizer_from_gguf
    from promptcraft.utils.gguf_header import open_gguf

    tokenizer = tokenizer_from_gguf(open_gguf(smollm2_gguf))
    assert tokenizer.n_vocab > 49_000 and tokenizer.eos_token_id is not None
    table = lookup({f"item{i}": i for i in range(40)})
    pattern = turn_pattern([calculator, table], thoughts=True)
    start = time.perf_counter()
    automaton = compile_constraint(
        regex(pattern), tokenizer, vocab_size=tokenizer.n_vocab, eos_ids=[tokenizer.eos_token_id]
    )
    seconds = time.perf_counter() - start
    assert seconds < 5, f"compiling the turn took {seconds:.1f} s"
    assert automaton.num_transitions < MAX_ESTIMATED_TRANSITIONS // 10


def test_a_required_call_leaves_no_answer_in_the_turn() -> None:
    pattern = turn_pattern(TOOLS, require_call=True, thoughts=True)
    assert matches(action("calculator", expression="6*7"), pattern)
    assert matches("Thought: multiply.\n" + action("calculator", expression="6*7"), pattern)
    assert not matches("Answer: 42", pattern)
    assert not matches("Final Answer: 42", react_turn_pattern(TOOLS, require_call=True))
