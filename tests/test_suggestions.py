"""The "did you mean" of error messages."""

from __future__ import annotations

from promptcraft.utils.suggestions import did_you_mean


def test_did_you_mean_names_the_closest_known_name() -> None:
    assert did_you_mean("temprature", ["temperature", "top_p"]) == "did you mean 'temperature'?"


def test_did_you_mean_is_empty_when_nothing_is_close() -> None:
    assert did_you_mean("zzz", ["temperature", "top_p"]) == ""


def test_did_you_mean_lists_several_with_or() -> None:
    hint = did_you_mean("sentimen", ["sentiment", "sentiments", "summary"], n=3)
    assert hint == "did you mean 'sentiment' or 'sentiments'?"
