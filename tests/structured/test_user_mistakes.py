"""Realistic mistakes with constraints get a clear error before generation, or just work:
empty or impossible regexes, anchors, spaces inside choices, too small a max_tokens (sync
and async)."""

from __future__ import annotations

import asyncio

import pytest
import regex as regex_module
from pydantic import BaseModel, Field
from support.structured import compile_on

from promptcraft.backends import LocalBackend
from promptcraft.errors import ConstraintError, InvalidRequestError
from promptcraft.structured import (
    agenerate_structured,
    choices,
    generate_structured,
    regex,
)


class City(BaseModel):
    name: str = Field(max_length=24)
    population: int


def test_a_regex_that_matches_only_the_empty_output_is_refused(bundled: LocalBackend) -> None:
    with pytest.raises(ConstraintError, match="matches only the empty output"):
        regex("^$")
    with pytest.raises(ConstraintError, match="matches only the empty output"):
        compile_on(bundled, regex("(?:)"))


def test_a_regex_that_matches_nothing_is_refused_saying_so(bundled: LocalBackend) -> None:
    with pytest.raises(ConstraintError, match="the pattern matches nothing"):
        compile_on(bundled, regex(r"x[^\s\S]"))


def test_anchors_around_a_regex_do_not_stop_constrained_decoding(bundled: LocalBackend) -> None:
    out = bundled.generate("Code:", constraint=regex(r"^[A-Z]{3}$"), max_tokens=10)
    assert regex_module.fullmatch(r"[A-Z]{3}", out.text)


def test_a_choice_that_starts_with_a_space_parses_from_a_constrained_output() -> None:
    # Decoding may put one space before a choice: " yes" is written "  yes".
    labels = choices([" yes", "no"])
    assert labels.parse("  yes") == " yes"
    assert labels.parse(" yes") == " yes"
    assert labels.parse(" no") == "no"


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_too_small_max_tokens_is_refused_naming_it(bundled: LocalBackend, mode: str) -> None:
    call = (
        (lambda: generate_structured(bundled, "City:", City, max_tokens=2))
        if mode == "sync"
        else (lambda: asyncio.run(agenerate_structured(bundled, "City:", City, max_tokens=2)))
    )
    with pytest.raises(
        InvalidRequestError, match=r"needs at least \d+ tokens but max_tokens"
    ) as info:
        call()
    assert info.value.field == "max_tokens"
