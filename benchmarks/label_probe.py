"""Does a model read the few-shot layout, or the label strings it was trained on?

Takes the evaluation's 4-shot items of few-shot families (new instances, rendered with
listed training labels), swaps their two labels for other pairs, and measures greedy exact
match for each pair: listed training labels, words of the wider training vocabulary,
the held-out evaluation labels, and pairs that no split uses. A model that has learned the
layout scores about the same on every row. A second table splits the held-out-wording
prefix target: the held-out items as evaluated (held-out instruction and labels), and the
same items with their labels swapped for Input / Output, so only the instruction is new.

    python benchmarks/label_probe.py models/pc-tiny [OTHER_MODEL ...] [--n 20] [--threads 2]

Several models are probed side by side in one process, on the same items.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from machine import parse_probe_args

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from recipes.pc_tiny.evaluation import EvalItem, eval_suites  # noqa: E402

FAMILIES = ("caesar", "icl_labels", "icl_transform", "extract_field", "arithmetic")
LABEL_PAIRS: dict[str, tuple[str, str]] = {
    "listed training pair": ("Input", "Output"),
    "listed training pair, short": ("Q", "A"),
    "wider training vocabulary": ("Request", "Verdict"),
    "held-out: Query / Response": ("Query", "Response"),
    "held-out: Given / Expected": ("Given", "Expected"),
    "held-out: Source / Target": ("Source", "Target"),
    "in no split: Stimulus / Reaction": ("Stimulus", "Reaction"),
}


def relabel(item: EvalItem, labels: tuple[str, str] | None) -> str:
    """The item's prompt with its input and output labels replaced at each line start
    (``None``: as it is)."""
    layout = item.template.layout
    text = item.template.render(**item.inputs)
    if labels is None:
        return text
    for old, new in zip((layout.input_label, layout.output_label), labels, strict=True):
        if old:
            text = re.sub(rf"(?m)^{re.escape(old)}:", lambda _m, new=new: f"{new}:", text)
    return text


def score(backend: pc.Backend, items: list[EvalItem], labels: tuple[str, str] | None) -> float:
    hits = 0
    for item in items:
        out = backend.generate(relabel(item, labels), max_tokens=24, stop=["\n"], temperature=0)
        hits += item.check(out.text)
    return hits / len(items)


def main(argv: list[str] | None = None) -> None:
    args = parse_probe_args(__doc__, argv, n=20, n_help="items per family")
    suites = eval_suites(
        n=args.n, families=FAMILIES, kinds=["few_shot"], shots=[4], wordings=["train"]
    )
    items = [item for suite in suites for item in suite.items]
    backends = {path: pc.load_backend(f"local:{path}") for path in args.models}
    header = " | ".join(str(p) for p in backends)
    print(f"4-shot exact match over {len(items)} items ({', '.join(FAMILIES)}), greedy\n")
    print(f"| labels | pair | {header} |")
    print("| --- | --- | " + " | ".join("---" for _ in backends) + " |")
    for name, pair in LABEL_PAIRS.items():
        cells = [f"{score(b, items, pair):.0%}" for b in backends.values()]
        print(f"| {name} | {pair[0]} / {pair[1]} | " + " | ".join(cells) + " |")

    prefix = [
        item
        for suite in eval_suites(n=args.n, kinds=["prefix"], wordings=["heldout"])
        for item in suite.items
    ]
    print(f"\nPrefix prompts with held-out wordings, {len(prefix)} items, greedy\n")
    print(f"| held-out instruction with | {header} |")
    print("| --- | " + " | ".join("---" for _ in backends) + " |")
    for name, pair in (
        ("held-out labels (as evaluated)", None),
        ("Input / Output", ("Input", "Output")),
    ):
        cells = [f"{score(b, prefix, pair):.0%}" for b in backends.values()]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
