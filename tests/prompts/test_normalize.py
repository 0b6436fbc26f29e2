"""Opt-in normalization of rendered prompts."""

from __future__ import annotations

import pytest

from promptcraft.prompts import (
    NORMALIZE_STEPS,
    ChatPrompt,
    PrefixPrompt,
    PromptError,
    load_prompt,
    normalize_text,
)


def test_newlines_become_unix_newlines() -> None:
    assert normalize_text("a\r\nb\rc", ["newlines"]) == "a\nb\nc"


def test_control_characters_are_removed_but_tabs_and_newlines_kept() -> None:
    assert normalize_text("a\x00b\x07\tc\nd\x7f", ["control_chars"]) == "ab\tc\nd"


def test_nfc_composes_accents() -> None:
    assert normalize_text("e\u0301", ["nfc"]) == "\u00e9"


def test_trailing_spaces_are_stripped_per_line() -> None:
    assert normalize_text("a  \nb\t\nc ", ["trailing_spaces"]) == "a\nb\nc"


def test_runs_of_blank_lines_collapse_to_one() -> None:
    assert normalize_text("a\n\n\n\nb\n \n\nc", ["blank_lines"]) == "a\n\nb\n\nc"


def test_steps_run_in_their_fixed_order() -> None:
    # newlines runs before control_chars, so "\r" becomes "\n" instead of being removed
    assert normalize_text("a\rb", ["control_chars", "newlines"]) == "a\nb"


def test_normalization_is_off_by_default() -> None:
    assert PrefixPrompt("").render(input="a  \r\n") == "a  \r\n"


def test_normalize_true_applies_every_step() -> None:
    prompt = PrefixPrompt("", normalize=True)
    assert prompt.render(input="e\u0301  \r\n\n\n\nx\x00") == "\u00e9\n\nx"
    assert len(NORMALIZE_STEPS) == 5


def test_normalize_in_front_matter_takes_a_list_of_steps(write_prompt) -> None:
    path = write_prompt("name: t\nnormalize: [trailing_spaces]\ninputs: {x: str}", "{{ x }}")
    assert load_prompt(path).render(x="a  \r\nb") == "a\r\nb"


def test_unknown_step_is_an_error_naming_it() -> None:
    with pytest.raises(PromptError, match="'capitalize'"):
        PrefixPrompt("", normalize=["capitalize"])


def test_chat_normalization_applies_to_each_message() -> None:
    prompt = ChatPrompt("Be {{ mood }}", normalize=["trailing_spaces"])
    messages = prompt.render_messages(mood="calm  ", input="u \r\n")
    assert [m.content for m in messages] == ["Be calm", "u\r\n"]
