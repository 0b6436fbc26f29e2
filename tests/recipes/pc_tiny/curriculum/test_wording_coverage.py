"""The held-out wordings, one by one: which of their words training never contains."""

from __future__ import annotations

import pytest

import promptcraft as pc
from recipes.pc_tiny.catalog import TEXT_FAMILIES
from recipes.pc_tiny.evaluate import score_suite
from recipes.pc_tiny.evaluation import eval_suites
from recipes.pc_tiny.wording_coverage import (
    WordingScore,
    coverage_report,
    prefix_families,
    score_wordings,
    training_vocabulary,
    unseen_words,
)

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def vocabulary() -> frozenset[str]:
    return training_vocabulary(2000)


def test_unseen_words_skip_jinja_tags_and_known_words() -> None:
    known = frozenset({"return", "the"})
    assert unseen_words("Return the {{ ordinal }} entry. The entry!", known) == ["entry"]


def test_training_text_has_the_trained_verbs_and_not_the_held_out_ones(vocabulary) -> None:
    assert {"sort", "reverse", "copy", "count"} <= vocabulary
    assert not {"alphabetize", "echo", "flip"} & vocabulary


def test_prefix_families_are_those_with_a_prefix_form() -> None:
    families = prefix_families()
    assert "sort_words" in families and "to_json" in families
    assert "icl_cipher" not in families


def test_wording_rows_add_up_to_the_family_suite(vocabulary) -> None:
    backend = pc.load_backend("pc-tiny")
    rows = score_wordings(backend, vocabulary, n=6, families=["copy_list"])
    (suite,) = eval_suites(n=6, families=["copy_list"], kinds=["prefix"], wordings=["heldout"])
    assert sum(r.n for r in rows) == 6
    whole = score_suite(backend, suite).exact_match
    assert sum(r.exact_match * r.n for r in rows) / 6 == pytest.approx(whole)
    heldout = TEXT_FAMILIES["copy_list"].instructions.heldout
    assert {r.wording for r in rows} <= set(heldout)


def test_coverage_report_splits_wordings_by_unseen_words() -> None:
    rows = [
        WordingScore(family="a", wording="Do it.", unseen=[], n=10, exact_match=0.9),
        WordingScore(family="a", wording="Zap it.", unseen=["zap"], n=30, exact_match=0.1),
    ]
    report = coverage_report(rows, samples=5, seed=0)
    assert report["overall"] == pytest.approx(0.3)
    assert report["all_words_seen"] == {"wordings": 1, "exact_match": 0.9}
    assert report["some_word_unseen"] == {"wordings": 1, "exact_match": 0.1}
