"""``json_schema(..., copy_from=text)``: every plain string field is a run of whole words of
the text, verbatim, whatever the model would rather write."""

from __future__ import annotations

import re

import pytest
from pydantic import BaseModel

from promptcraft.backends import LocalBackend
from promptcraft.constraints.spans import copy_strings, span_pattern
from promptcraft.errors import ConstraintError
from promptcraft.structured import json_schema

TEXT = 'Dinner with "Bob" is on Tuesday, 10 am.'


class Meeting(BaseModel):
    day: str
    time: str


class Order(BaseModel):
    item: str
    quantity: int
    city: str


def _spans(text: str, **options: object) -> re.Pattern[str]:
    return re.compile(span_pattern(text, **options))  # type: ignore[arg-type]


@pytest.mark.parametrize("run", ["Tuesday, 10 am", "Tuesday", "10 am", "Dinner with", "Bob"])
def test_a_run_of_whole_words_is_a_span(run: str) -> None:
    assert _spans(TEXT).fullmatch(run)


@pytest.mark.parametrize("near", ["Tues", "am.", "tuesday", "Tuesday 10 am", "Monday"])
def test_a_part_of_a_word_a_changed_spelling_or_an_invented_word_is_not(near: str) -> None:
    assert not _spans(TEXT).fullmatch(near)


def test_a_span_never_crosses_a_quote_that_json_would_escape() -> None:
    assert not _spans(TEXT).fullmatch('with "Bob')
    assert not _spans(TEXT).fullmatch("Bob is")


def test_max_words_bounds_each_span() -> None:
    assert _spans(TEXT, max_words=2).fullmatch("Tuesday, 10")
    assert not _spans(TEXT, max_words=2).fullmatch("Tuesday, 10 am")


def test_inner_punctuation_keeps_a_word_whole() -> None:
    spans = _spans("A 38-year-old from O'Brien Street meets at 9:30.")
    assert spans.fullmatch("38-year-old")
    assert spans.fullmatch("9:30")
    assert not spans.fullmatch("38")


def test_only_plain_string_fields_are_restricted() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "unit": {"enum": ["kg", "g"], "type": "string"},
            "code": {"type": "string", "pattern": "^[A-Z]+$"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "count": {"type": "integer"},
        },
    }
    copied = copy_strings(schema, TEXT)
    properties = copied["properties"]
    assert properties["name"]["pattern"].startswith("^(?:)(?:")
    assert properties["tags"]["items"]["pattern"] == properties["name"]["pattern"]
    assert "pattern" not in properties["unit"] and "pattern" not in properties["count"]
    assert properties["code"]["pattern"] == "^[A-Z]+$"
    assert "pattern" not in schema["properties"]["name"]  # the caller's schema is unchanged


def test_parse_refuses_a_value_that_is_not_in_the_text() -> None:
    constraint = json_schema(Meeting, copy_from=TEXT)
    assert constraint.parse('{"day": "Tuesday", "time": "10 am"}') == Meeting(
        day="Tuesday", time="10 am"
    )
    with pytest.raises(ValueError, match=r"^day: 'Monday' is not words copied from the text$"):
        constraint.parse('{"day": "Monday", "time": "10 am"}')


def test_a_text_with_no_word_is_a_clear_error() -> None:
    with pytest.raises(ConstraintError, match="no word to copy"):
        json_schema(Meeting, copy_from=" -- ")


def test_unbounded_spans_of_a_long_text_ask_for_a_bound() -> None:
    long_text = " ".join(f"word{i}" for i in range(400))
    with pytest.raises(ConstraintError, match="max_words"):
        json_schema(Meeting, copy_from=long_text, max_words=None)
    assert json_schema(Meeting, copy_from=long_text).copy_from == long_text


def test_a_local_model_only_writes_spans_of_the_text(bundled: LocalBackend) -> None:
    text = "Please send 3 red umbrellas to the Leeds office on Friday."
    constraint = json_schema(Order, copy_from=text)
    spans = _spans(text)
    for seed in (1, 2, 3):
        out = bundled.generate(
            f"Text: {text}\nJSON:", constraint=constraint, max_tokens=60, temperature=1.0, seed=seed
        )
        order = constraint.parse(out.text)
        assert spans.fullmatch(order.item) and spans.fullmatch(order.city)


def test_a_string_with_a_pattern_may_only_be_a_span_that_matches_it() -> None:
    text = "Mail Kasia at kasia.nowak@wp.pl or call 501 555 032."
    email = {"type": "string", "pattern": "^[a-z.]+@[a-z]+\\.[a-z]+$"}
    copied = copy_strings({"type": "object", "properties": {"email": email}}, text)
    pattern = re.compile(copied["properties"]["email"]["pattern"])
    assert pattern.fullmatch("kasia.nowak@wp.pl")
    assert not pattern.fullmatch("anna@wp.pl")  # fits the email pattern, but not in the text
    unmatched = copy_strings({"type": "object", "properties": {"email": email}}, "No mail.")
    assert unmatched["properties"]["email"] == email  # no span fits: the pattern alone


def test_a_patterned_string_that_no_span_fits_leaves_null_when_null_is_allowed() -> None:
    email = {"type": "string", "pattern": "^[a-z.]+@[a-z]+\\.[a-z]+$"}
    schema = {"type": "object", "properties": {"email": {"anyOf": [email, {"type": "null"}]}}}
    copied = copy_strings(schema, "Call Luca on 06 4815 2290.")
    assert copied["properties"]["email"] == {"anyOf": [{"type": "null"}]}
