"""What compiling a constraint costs: root-level strings compile as cheaply as properties,
constraints whose compile would be unreasonably large are refused before compiling (on the
backend API, through generate_structured and its async twin), and cheap large ones are not."""

from __future__ import annotations

import asyncio

import pytest
from support.structured import compile_on

from promptcraft.backends import LocalBackend
from promptcraft.constraints.pattern_atoms import can_match_char, expanded_size
from promptcraft.errors import ConstraintError
from promptcraft.structured import (
    TokenAutomaton,
    agenerate_structured,
    choices,
    generate_structured,
    json_schema,
    regex,
)

HUGE_STRING = {"type": "object", "properties": {"s": {"type": "string", "minLength": 100000}}}


def _walk(backend: LocalBackend, automaton: TokenAutomaton, text: str) -> int | None:
    """The state after writing ``text`` token by token, or None when a token is refused."""
    state = automaton.start
    for token in backend.tokenizer.encode(text):
        try:
            state = automaton.advance(state, token)
        except ValueError:
            return None
    return state


# A regression runs for hours (2^maxLength DFA states): fail it early instead.
@pytest.mark.timeout(60)
def test_a_root_level_string_schema_compiles_like_a_property(bundled: LocalBackend) -> None:
    automaton = compile_on(bundled, json_schema({"type": "string", "maxLength": 32}))
    whole = _walk(bundled, automaton, '"' + "a" * 32 + '"')
    assert whole is not None and automaton.is_final(whole)
    assert _walk(bundled, automaton, '"' + "a" * 33) is None
    escaped = _walk(bundled, automaton, '"\\"quoted\\""')
    assert escaped is not None and automaton.is_final(escaped)


def test_a_huge_min_length_is_refused_saying_what_to_lower(bundled: LocalBackend) -> None:
    # Compiled, it grew the process past 20 GB.
    with pytest.raises(ConstraintError, match="too large to compile") as info:
        compile_on(bundled, json_schema(HUGE_STRING))
    assert "minLength" in str(info.value) and info.value.kind == "json_schema"


def test_a_huge_regex_repetition_is_refused(bundled: LocalBackend) -> None:
    with pytest.raises(ConstraintError, match="too large to compile") as info:
        compile_on(bundled, regex("[a-z]{20000}"))
    assert info.value.kind == "regex"


def test_nested_counts_multiply_in_the_size_estimate() -> None:
    assert expanded_size("(a[0-9]{10}){100}", limit=10**6) == 1100
    assert expanded_size("(ab|c){3}x{2,}", limit=10**6) == 11
    assert expanded_size("[a-z]{100000}", limit=5000) == 5001


def test_hundreds_of_choices_are_not_refused(bundled: LocalBackend) -> None:
    options = [f"category number {i}" for i in range(500)]
    automaton = compile_on(bundled, choices(options))
    state = _walk(bundled, automaton, "category number 321")
    assert state is not None and automaton.is_final(state)


def test_generate_structured_refuses_a_too_large_schema_before_generating(
    bundled: LocalBackend,
) -> None:
    with pytest.raises(ConstraintError, match="too large to compile"):
        generate_structured(bundled, "Text:", HUGE_STRING, max_tokens=10)


def test_agenerate_structured_refuses_a_too_large_schema_before_generating(
    bundled: LocalBackend,
) -> None:
    with pytest.raises(ConstraintError, match="too large to compile"):
        asyncio.run(agenerate_structured(bundled, "Text:", HUGE_STRING, max_tokens=10))


@pytest.mark.parametrize(
    ("pattern", "nul", "newline"),
    [
        (json_schema({"type": "string"}).decoding_pattern, False, False),
        (".{0,30}", True, False),
        ("(?s).{0,30}", True, True),
        (r"[A-Z]{3}\s[0-9]", False, True),
    ],
)
def test_can_match_char_reads_classes_escapes_and_the_dotall_flag(
    pattern: str, nul: bool, newline: bool
) -> None:
    # The automaton puts a character the pattern cannot match before it (see automaton.py).
    assert can_match_char(pattern, "\x00") is nul
    assert can_match_char(pattern, "\n") is newline
