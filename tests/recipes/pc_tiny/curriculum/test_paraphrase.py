"""Paraphrased training wordings: varied, well-formed, and never a held-out wording."""

from __future__ import annotations

import random

from recipes.pc_tiny.paraphrase import CLOSINGS, LEAD_INS, drop_word, vary_wording
from recipes.pc_tiny.rendering import render_wording


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


def test_drop_word_replaces_one_bare_word_with_made_up_letters() -> None:
    wording = "Write the items sorted from A to Z."
    for seed in range(30):
        dropped = drop_word(wording, random.Random(seed))
        before, after = wording.split(" "), dropped.split(" ")
        changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
        assert len(changed) == 1
        old, new = changed[0]
        assert old.isalpha() and new.isalpha() and 3 <= len(new) <= 9
        assert new[0].isupper() == old[0].isupper()


def test_drop_word_keeps_jinja_tags_and_words_with_punctuation() -> None:
    wording = "Give the {{ ordinal }} word."
    for seed in range(30):
        dropped = drop_word(wording, random.Random(seed))
        assert "{{ ordinal }}" in dropped and dropped.endswith(" word.")
        assert render_wording(dropped, {"ordinal": "second"}).count("second") == 1


def test_word_dropout_one_makes_up_a_word_in_every_variant() -> None:
    rng = random.Random(2)
    wording = "Remove the repeated words."
    known = set(_variants(wording, 2000)) | {wording}
    dropped = {vary_wording(wording, rng, word_dropout=1.0) for _ in range(50)}
    assert not dropped & known
