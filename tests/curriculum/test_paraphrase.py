"""Paraphrased training wordings: varied, well-formed, and never a held-out wording."""

from __future__ import annotations

import random

from promptcraft.curriculum.paraphrase import CLOSINGS, LEAD_INS, vary_wording
from promptcraft.curriculum.rendering import render_wording


def _variants(wording: str, n: int = 400) -> set[str]:
    rng = random.Random(0)
    return {vary_wording(wording, rng) for _ in range(n)}


def test_one_wording_yields_dozens_of_phrasings() -> None:
    assert len(_variants("Write the words in reverse order.")) >= 30


def test_synonyms_keep_the_capital_of_the_word_they_replace() -> None:
    variants = _variants("Write the list backwards.")
    assert "Give this list backwards." in variants or "Give the given list backwards." in variants
    assert all(v[0].isupper() for v in variants)


def test_lead_ins_lower_case_the_command_they_precede() -> None:
    variants = _variants("Sort the items.")
    led = [v for v in variants if v.startswith(LEAD_INS)]
    assert led
    assert all(
        any(v == lead + v[len(lead) :] and v[len(lead)].islower() for lead in LEAD_INS) for v in led
    )


def test_questions_get_no_lead_in() -> None:
    assert not any(v.startswith(LEAD_INS) for v in _variants("What is the {{ ordinal }} word?"))


def test_closings_are_appended_to_some_variants() -> None:
    assert any(v.endswith(CLOSINGS) for v in _variants("Copy the words."))


def test_jinja_tags_survive_and_still_render() -> None:
    for variant in _variants("Write the {{ ordinal }} item of the list."):
        assert "{{ ordinal }}" in variant
        assert "third" in render_wording(variant, {"ordinal": "third"})


def test_swap_zero_changes_no_word() -> None:
    rng = random.Random(1)
    wording = "Remove the repeated words."
    for _ in range(50):
        variant = vary_wording(wording, rng, swap=0.0)
        assert wording[1:-1].lower() in variant.lower()
