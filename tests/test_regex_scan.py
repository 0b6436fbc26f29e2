"""Where one regex atom ends, in the Rust dialects promptcraft walks."""

from __future__ import annotations

import pytest

from promptcraft.utils.regex_scan import class_end, escape_end


@pytest.mark.parametrize(
    ("pattern", "end"),
    [
        (r"\sx", 2),
        (r"\pLx", 3),
        (r"\p{L}x", 5),
        (r"\x41x", 4),
        (r"\x{263a}x", 8),
        (r"\u0041x", 6),
        ("\\", 1),
    ],
)
def test_escape_end_covers_the_whole_escape(pattern: str, end: int) -> None:
    assert escape_end(pattern, 0) == end


@pytest.mark.parametrize(
    ("pattern", "end"),
    [
        ("[abc]x", 5),
        ("[]a]x", 4),
        ("[^]a]x", 5),
        (r"[\]a]x", 5),
        ("[a-z&&[^x]]y", 11),
        ("[abc", 4),
    ],
)
def test_class_end_covers_nested_classes_and_leading_brackets(pattern: str, end: int) -> None:
    assert class_end(pattern, 0) == end
