"""The shared JSON Lines reader: line numbers count blank lines, errors name the line."""

from __future__ import annotations

import pytest

from promptcraft.utils.jsonl import JsonLineError, read_json_lines


def test_blank_lines_are_skipped_but_still_counted() -> None:
    assert list(read_json_lines('{"a": 1}\n\n  \n[2]\n')) == [(1, {"a": 1}), (4, [2])]


def test_invalid_line_raises_with_its_number_and_column() -> None:
    with pytest.raises(JsonLineError) as info:
        list(read_json_lines('{"a": 1}\n{"a": }\n'))
    assert (info.value.line, info.value.column) == (2, 7)
