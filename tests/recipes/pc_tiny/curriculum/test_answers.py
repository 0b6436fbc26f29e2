"""Every family's answer, checked by computing it again from the sample's query."""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable

import pytest

from recipes.pc_tiny import Sample

_ORDINALS = ["first", "second", "third", "fourth"]


def _items(query: str) -> tuple[list[str], str]:
    sep = ", " if ", " in query else " "
    return query.split(sep), sep


def _shift(letters: str, n: int) -> str:
    return " ".join(chr((ord(c) - 97 + n) % 26 + 97) for c in letters.split())


def _arithmetic(query: str) -> str:
    a, op, b = re.fullmatch(r"(?:What is )?(\d+) ?([-+*]) ?(\d+)(?:\?| =)?", query).groups()  # type: ignore[union-attr]
    ops = {"+": operator.add, "-": operator.sub, "*": operator.mul}
    return str(ops[op](int(a), int(b)))


def _record(text: str) -> dict[str, str]:
    pairs = text.split("; ") if "; " in text else text.split(", ")
    return dict(re.split(r": |=", pair, maxsplit=1) for pair in pairs)  # type: ignore[misc]


def _lookup(query: str) -> str:
    table, key = query.rsplit("\nKey: ", 1)
    rows = table.split("\n") if "\n" in table else table.split(", ")
    return dict(re.split(r" = |: ", row) for row in rows)[key]  # type: ignore[misc]


def _json(query: str) -> str:
    record = _record(query)
    return json.dumps({k: int(v) if k == "age" else v for k, v in record.items()})


def _dedupe(query: str) -> str:
    items, sep = _items(query)
    return sep.join(dict.fromkeys(items))


def _pick(sample: Sample) -> str:
    return _items(sample.query)[0][sample.meta["position"] - 1]


FORWARD: dict[str, Callable[[Sample], str]] = {
    "reverse_list": lambda s: _items(s.query)[1].join(reversed(_items(s.query)[0])),
    "sort_words": lambda s: _items(s.query)[1].join(sorted(_items(s.query)[0])),
    "dedupe_words": lambda s: _dedupe(s.query),
    "count_items": lambda s: str(len(_items(s.query)[0])),
    "pick_item": _pick,
    "uppercase": lambda s: s.query.upper(),
    "caesar": lambda s: _shift(s.query, s.meta["shift"]),
    "arithmetic": lambda s: _arithmetic(s.query),
    "extract_field": lambda s: _record(s.query)[s.meta["field"]],
    "lookup_value": lambda s: _lookup(s.query),
    "to_json": lambda s: _json(s.query),
}

# reverse samples show an output and expect the input: apply the forward task to the answer
BACKWARD: dict[str, Callable[[Sample], str]] = {
    "reverse_list": lambda s: _items(s.answer)[1].join(reversed(_items(s.answer)[0])),
    "uppercase": lambda s: s.answer.upper(),
    "caesar": lambda s: _shift(s.answer, s.meta["shift"]),
    "to_json": lambda s: _json(s.answer),
}


@pytest.mark.parametrize("family", sorted(FORWARD))
def test_forward_answers_are_correct(family: str, train_samples: list[Sample]) -> None:
    samples = [s for s in train_samples if s.family == family and s.kind != "reverse"]
    assert samples
    for sample in samples:
        assert sample.answer == FORWARD[family](sample), sample.prompt


@pytest.mark.parametrize("family", sorted(BACKWARD))
def test_reverse_answers_map_back_to_the_shown_output(
    family: str, train_samples: list[Sample]
) -> None:
    samples = [s for s in train_samples if s.family == family and s.kind == "reverse"]
    assert samples
    for sample in samples:
        assert BACKWARD[family](sample) == sample.query, sample.prompt


def test_reverse_answers_are_lower_case_for_uppercase(train_samples: list[Sample]) -> None:
    for s in train_samples:
        if s.family == "uppercase" and s.kind == "reverse":
            assert s.answer == s.answer.lower()


def test_pick_item_instruction_names_the_position(train_samples: list[Sample]) -> None:
    for s in train_samples:
        if s.family == "pick_item" and s.kind == "prefix":
            position = s.meta["position"]
            assert str(position) in s.prompt or _ORDINALS[position - 1] in s.prompt


def test_dedupe_inputs_really_repeat_a_word(train_samples: list[Sample]) -> None:
    for s in train_samples:
        if s.family == "dedupe_words":
            items, _ = _items(s.query)
            assert len(set(items)) < len(items)
