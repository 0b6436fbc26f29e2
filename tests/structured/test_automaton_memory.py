"""Compiled automata: packed transitions, a cache bounded by memory, and alternatives that
an earlier match does not cut off (bundled model's vocabulary)."""

from __future__ import annotations

import pytest
from support.structured import compile_on

from promptcraft.backends import LocalBackend
from promptcraft.constraints import automaton as automaton_module
from promptcraft.structured import TokenAutomaton, choices, json_schema, regex


def _writes(backend: LocalBackend, automaton: TokenAutomaton, text: str) -> bool:
    """The automaton lets ``text`` be written (character by character) as a whole output."""
    state = automaton.start
    for char in text:
        try:
            state = automaton.advance(state, backend.tokenizer.encode(char)[0])
        except ValueError:
            return False
    return automaton.is_final(state)


def test_a_compiled_automaton_keeps_about_eight_bytes_per_transition(
    bundled: LocalBackend,
) -> None:
    schema = {"type": "object", "properties": {"memo": {"type": "string", "maxLength": 37}}}
    automaton = compile_on(bundled, json_schema(schema))
    assert automaton.num_transitions > 10 * automaton.num_states  # string positions
    overhead = 200 * automaton.num_states + len(automaton.pattern)
    assert automaton.nbytes <= 8 * automaton.num_transitions + overhead


def test_the_automaton_cache_is_bounded_by_memory(
    bundled: LocalBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = compile_on(bundled, regex("[a-z]{3}-[0-9]{11}"))
    second = compile_on(bundled, regex("[a-z]{3}-[0-9]{12}"))
    monkeypatch.setattr(automaton_module, "CACHE_BYTES", first.nbytes + second.nbytes - 1)
    third = compile_on(bundled, regex("[a-z]{3}-[0-9]{13}"))  # over budget: drops the oldest
    assert compile_on(bundled, regex("[a-z]{3}-[0-9]{13}")) is third
    assert compile_on(bundled, regex("[a-z]{3}-[0-9]{11}")) is not first


def test_a_choice_that_prefixes_a_later_one_does_not_hide_it(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, choices(["3", "32", "321"]))
    assert all(_writes(bundled, automaton, text) for text in ("3", "32", "321"))


def test_a_regex_alternative_is_not_cut_off_by_an_earlier_match(bundled: LocalBackend) -> None:
    assert _writes(bundled, compile_on(bundled, regex("a|ab")), "ab")
    assert _writes(bundled, compile_on(bundled, regex("a+?")), "aaa")
