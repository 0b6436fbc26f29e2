"""Helpers of the tuning tests: an easy task to learn, and a quick tuning run on it."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from promptcraft.nn import Decoder
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning import run_tuning
from promptcraft.tuning.methods import TuningMethod

# Two steps on ten examples: enough to write a real adapter, not to learn the task.
QUICK: dict[str, Any] = {
    "max_steps": 2,
    "batch_size": 4,
    "progress": False,
    "virtual_tokens": 4,
    "top_layers": 1,
}

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


def quick_tune(
    method: TuningMethod, model: Decoder, tokenizer: Tokenizer, template: PrefixPrompt, out: Path
) -> Path:
    """The adapter of a :data:`QUICK` run of ``method`` on ``label_task(10, seed=0)``."""
    report = run_tuning(
        method,
        data=label_task(10, seed=0),
        template=template,
        model=(model, tokenizer),
        out=out,
        **QUICK,
    )
    return report.adapter
