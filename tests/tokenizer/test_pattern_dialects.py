"""Pre-tokenizer regexes translated between tiktoken (fancy-regex) and HF (Oniguruma)."""

from __future__ import annotations

import pytest

from promptcraft.tokenizers.pattern_dialects import from_oniguruma, to_oniguruma
from promptcraft.tokenizers.tokenizer import CL100K_PATTERN, GPT2_PATTERN, SINGLE_DIGIT_PATTERN


@pytest.mark.parametrize("pattern", [GPT2_PATTERN, CL100K_PATTERN, SINGLE_DIGIT_PATTERN])
def test_portable_patterns_are_unchanged_both_ways(pattern: str):
    assert (to_oniguruma(pattern), from_oniguruma(pattern)) == (pattern, pattern)


def test_possessive_interval_becomes_an_atomic_group_for_oniguruma():
    assert to_oniguruma(r"\p{N}{1,3}+|x") == r"(?>\p{N}{1,3})|x"


def test_possessive_interval_on_a_group_wraps_the_whole_group():
    assert to_oniguruma(r"(?:ab|c){2}+") == r"(?>(?:ab|c){2})"


def test_end_anchor_becomes_end_of_text_for_oniguruma():
    assert to_oniguruma(r"\s++$|^a") == r"\s++\z|\Aa"


def test_anchors_and_braces_inside_classes_and_escapes_are_left_alone():
    pattern = r"[$^{]\$\{1,2}+[\]$]"
    assert to_oniguruma(pattern) == pattern


def test_ruby_interval_followed_by_plus_repeats_the_interval_for_tiktoken():
    assert from_oniguruma(r"\p{N}{1,3}+") == r"(?:\p{N}{1,3})+"


def test_ruby_line_anchors_stay_line_anchors_for_tiktoken():
    assert from_oniguruma(r"\s+$") == r"\s+(?m:$)"
