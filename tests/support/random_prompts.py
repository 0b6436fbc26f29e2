"""Prompts of random words and lengths, for tests where many requests must differ."""

from __future__ import annotations

import random

WORDS = [
    "the", "a", "cat", "dog", "river", "city", "mountain", "story", "runs", "over", "under",
    "long", "quiet", "bright",
]  # fmt: skip


def random_prompt(rng: random.Random, *, longest: int = 60) -> str:
    """2 to ``longest`` words, capitalised, ending with a colon."""
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, longest))).capitalize() + ":"
