from __future__ import annotations

import pytest

from promptcraft.evaluation.stats import bootstrap_interval, mean_interval, wilson_interval


def test_wilson_interval_of_zero_successes_is_not_degenerate() -> None:
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=1e-4)


def test_wilson_interval_matches_the_textbook_value() -> None:
    # 8 of 10: Wilson 95% interval (0.4902, 0.9433)
    low, high = wilson_interval(8, 10)
    assert (low, high) == (pytest.approx(0.4902, abs=1e-4), pytest.approx(0.9433, abs=1e-4))


def test_bootstrap_interval_is_seeded() -> None:
    scores = [0.0, 0.5, 1.0, 0.25, 0.75, 1.0]
    assert bootstrap_interval(scores) == bootstrap_interval(scores)


def test_bootstrap_interval_contains_the_mean() -> None:
    scores = [0.0, 0.5, 1.0, 0.25, 0.75, 1.0]
    low, high = bootstrap_interval(scores)
    assert low < sum(scores) / len(scores) < high


def test_mean_interval_uses_wilson_for_pass_fail_scores() -> None:
    assert mean_interval([1.0, 0.0, 1.0]).method == "wilson"


def test_mean_interval_uses_bootstrap_for_partial_credit() -> None:
    assert mean_interval([1.0, 0.5, 1.0]).method == "bootstrap"


@pytest.mark.parametrize(("successes", "n"), [(0, 3), (0, 100), (10, 10), (3, 3)])
def test_wilson_interval_always_holds_the_observed_rate(successes: int, n: int) -> None:
    low, high = wilson_interval(successes, n)
    assert low <= successes / n <= high


def test_bootstrap_interval_of_one_item_is_the_whole_range() -> None:
    assert bootstrap_interval([0.5]) == (0.0, 1.0)


def test_mean_interval_of_no_scores_has_no_mean() -> None:
    interval = mean_interval([])
    assert (interval.mean, interval.low, interval.high, interval.n) == (None, 0.0, 1.0, 0)
