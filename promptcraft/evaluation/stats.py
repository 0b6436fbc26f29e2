"""95% confidence intervals for a mean score.

Pass/fail scores get the Wilson score interval: unlike the normal approximation it stays
inside [0, 1] and is not degenerate at 0% or 100%, which small evaluations hit often.
Fractional scores (partial credit, or an item's mean over repeats) get a seeded percentile
bootstrap over items, so the interval is the same on every run. One item says nothing about
the spread of scores, so a bootstrap over one item is the whole range [0, 1], and no items at
all give no mean (``None``).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

__all__ = ["Interval", "bootstrap_interval", "mean_interval", "wilson_interval"]

_Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


class Interval(BaseModel):
    """A mean and its 95% confidence interval; ``method`` is ``wilson`` or ``bootstrap``, or
    ``none`` when no item was scored (``n`` 0): then ``mean`` is None and the interval
    [0, 1]."""

    model_config = ConfigDict(frozen=True)

    mean: float | None
    low: float
    high: float
    n: int
    method: str


def wilson_interval(successes: int, n: int, z: float = _Z95) -> tuple[float, float]:
    """The Wilson score interval of ``successes`` out of ``n``."""
    if n <= 0:
        return 0.0, 1.0
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    # The interval always holds p; rounding can put a bound a hair past it (0 of 3: 5.6e-17).
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def bootstrap_interval(
    scores: Sequence[float], *, resamples: int = 2000, seed: int = 0
) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of the mean over ``resamples`` resamples; [0, 1] for
    fewer than two scores (resampling one score would claim a certainty it cannot have)."""
    n = len(scores)
    if n < 2:
        return 0.0, 1.0
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(scores, k=n)) / n for _ in range(resamples))
    return means[int(0.025 * (resamples - 1))], means[math.ceil(0.975 * (resamples - 1))]


def mean_interval(scores: Sequence[float]) -> Interval:
    """The mean of ``scores`` with its interval: Wilson when every score is 0 or 1,
    bootstrap otherwise; no mean for no scores."""
    n = len(scores)
    if n == 0:
        return Interval(mean=None, low=0.0, high=1.0, n=0, method="none")
    mean = sum(scores) / n
    if all(s in (0.0, 1.0) for s in scores):
        low, high = wilson_interval(round(sum(scores)), n)
        return Interval(mean=mean, low=low, high=high, n=n, method="wilson")
    low, high = bootstrap_interval(scores)
    return Interval(mean=mean, low=low, high=high, n=n, method="bootstrap")
