"""Write the word-counting dataset of this example: ``pool.jsonl`` (the examples few-shot
prompts choose from) and ``data.jsonl`` (the rows evaluated). Seeded, so it rewrites the same
files; they are committed, so running this is only needed to change them.

    python examples/eval/pc_tiny/make_data.py
"""

from __future__ import annotations

import json
import random
from pathlib import Path

HERE = Path(__file__).resolve().parent
# Each is one token of pc-tiny's tokenizer. A word it splits in two ("kite") tends
# to be counted as two words: with four such words, an earlier draft scored 68% with the
# prefix prompt, where this list scores 100%.
# fmt: off
WORDS = [
    "cat", "dog", "sun", "car", "hat", "cup", "pen", "box", "key", "map", "bed", "egg", "fan",
    "jar", "leg", "net", "owl", "pig", "rug", "bus", "tree", "lamp", "door", "book", "fish",
    "bird", "cake", "ship", "goat", "milk", "boat", "drum", "frog", "leaf", "lion", "moon",
    "nest", "pear", "ring", "sock", "star", "tent", "rose", "wolf", "bell", "corn", "desk",
]
# fmt: on


def draw(rng: random.Random) -> dict[str, str]:
    words = rng.sample(WORDS, rng.randint(2, 8))
    return {"input": " ".join(words), "output": str(len(words))}


def main() -> None:
    rng = random.Random(8)
    pool = [draw(rng) for _ in range(40)]
    rows = []
    while len(rows) < 100:
        row = draw(rng)
        if row not in pool and row not in rows:
            rows.append(row)
    with (HERE / "pool.jsonl").open("w", encoding="utf-8") as handle:
        for example in pool:
            handle.write(json.dumps(example) + "\n")
    with (HERE / "data.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps({"input": row["input"], "expected": row["output"]}) + "\n")


if __name__ == "__main__":
    main()
