"""Constraints compiled into token automata over the bundled model's vocabulary."""

from __future__ import annotations

import pytest
import torch
from support.structured import compile_on

from promptcraft.backends import LocalBackend
from promptcraft.errors import ConstraintError
from promptcraft.structured import (
    choices,
    json_schema,
    regex,
)


def test_compiled_automata_are_cached_per_tokenizer_and_pattern(bundled: LocalBackend) -> None:
    first = compile_on(bundled, regex("[0-9]{4}"))
    assert compile_on(bundled, regex("[0-9]{4}")) is first
    assert compile_on(bundled, regex("[0-9]{5}")) is not first


def test_control_tokens_are_never_allowed(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, regex(".{1,40}"))
    mask = automaton.allowed(automaton.start, 100)
    specials = list(bundled.tokenizer.special_tokens.values())
    assert mask.dtype == torch.bool and not mask[specials].any()


def test_eos_is_allowed_only_once_the_output_is_complete(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, choices(["yes", "no"]))
    eos = sorted(bundled.generator.eos_ids)
    start = automaton.start
    assert not automaton.allowed(start, 100)[eos].any()
    state = start
    for token in bundled.tokenizer.encode("yes"):
        state = automaton.advance(state, token)
    assert automaton.is_final(state)
    assert automaton.allowed(state, 100)[eos].all()


def test_a_tight_budget_allows_only_tokens_that_can_still_finish(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, regex("x|[a-z]{5,40}"))
    start = automaton.start
    loose = automaton.allowed(start, 100)
    tight = automaton.allowed(start, 1)
    # With one token left, only a token that completes the match on its own may be chosen.
    assert tight.sum() < loose.sum()
    for token in tight.nonzero().flatten().tolist():
        after = automaton.advance(start, token)
        assert automaton.is_final(after)


def test_min_tokens_is_the_shortest_complete_output(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, regex("[a-z]{6}"))
    shortest = automaton.min_tokens
    assert 1 <= shortest <= 6


def test_a_forbidden_token_cannot_advance_the_automaton(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, regex("[0-9]+"))
    letter = bundled.tokenizer.encode("x")[0]
    with pytest.raises(ValueError, match="not allowed"):
        automaton.advance(automaton.start, letter)


def test_regex_the_engine_cannot_compile_raises_constraint_error(bundled: LocalBackend) -> None:
    # Python's regex module accepts look-ahead; the automaton's engine does not.
    with pytest.raises(ConstraintError, match="regex constraint cannot be compiled"):
        compile_on(bundled, regex("(?=a)a"))


def test_json_schema_compiles_to_a_small_automaton(bundled: LocalBackend) -> None:
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    automaton = compile_on(bundled, json_schema(schema))
    assert 0 < automaton.num_states < 1000
