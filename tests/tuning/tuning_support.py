"""Helpers of the tuning tests: an easy task to learn."""

from __future__ import annotations

import random

NOUNS = [
    "cat",
    "dog",
    "sun",
    "car",
    "hat",
    "cup",
    "pen",
    "box",
    "key",
    "map",
    "bed",
    "egg",
    "fan",
    "jar",
    "owl",
    "pig",
    "rug",
    "bag",
    "bus",
    "cow",
]
LABELS = {"red": "zap", "blue": "mop"}


def label_task(n: int, seed: int) -> list[dict[str, str]]:
    """``{"input": "red cat", "output": "zap"}``: the label depends on the colour only."""
    rng = random.Random(seed)
    rows = []
    for _ in range(n):
        colour = rng.choice(sorted(LABELS))
        rows.append({"input": f"{colour} {rng.choice(NOUNS)}", "output": LABELS[colour]})
    return rows
