"""Choices ranked with and without calibration, on the bundled templates' evaluation sets.

``choices(labels, mode="rank", calibrate=True)`` scores each label after the template with
the row's text, less its mean score after the same template with content-free text
(``N/A``, ``[MASK]``, empty): contextual calibration ("Calibrate Before Use", Zhao et al.,
2021). This compares, per template, greedy constrained generation of the label, ranking, and
calibrated ranking, through ``generate_structured(backend, template, constraint,
inputs=row)`` on the default model (SmolLM2), one torch thread:

    python benchmarks/calibration.py                       # sentiment and classify_intent
    python benchmarks/calibration.py --templates sentiment

Writes benchmarks/results/calibration.md: accuracy, the labels predicted, seconds.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from collections import Counter
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402
from promptcraft.structured import choices, generate_structured  # noqa: E402

MODES = {
    "generate": {},
    "rank": {"mode": "rank"},
    "rank, calibrated": {"mode": "rank", "calibrate": True},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--templates", nargs="+", default=["sentiment", "classify_intent"])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/calibration.md")
    args = parser.parse_args()
    torch.set_num_threads(1)
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import cpu_name

    backend = pc.load_backend(threads=1)
    library = pc.PromptLibrary()
    lines = [
        "# Calibrated choices",
        "",
        f"{datetime.date.today()} · {cpu_name()} · 1 torch thread · model {backend.model} · "
        f"`python benchmarks/calibration.py --templates {' '.join(args.templates)}`",
        "",
        "| template | rows | mode | accuracy | labels predicted | seconds |",
        "| --- | ---: | --- | ---: | --- | ---: |",
    ]
    for name in args.templates:
        template = library.get(name)
        path = ROOT / "templates" / "evals" / f"{name}.jsonl"
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        labels = sorted({row["expected"] for row in rows})
        for mode, options in MODES.items():
            constraint = choices(labels, **options)  # type: ignore[arg-type]
            began = time.perf_counter()
            predicted = [
                generate_structured(
                    backend,
                    template,
                    constraint,
                    inputs={k: v for k, v in row.items() if k != "expected"},
                    temperature=0,
                )
                for row in rows
            ]
            seconds = time.perf_counter() - began
            right = sum(p == row["expected"] for p, row in zip(predicted, rows, strict=True))
            shown = ", ".join(f"{label} {n}" for label, n in Counter(predicted).most_common())
            line = (
                f"| {name} | {len(rows)} | {mode} | {right}/{len(rows)} = "
                f"{right / len(rows):.0%} | {shown} | {seconds:.0f} |"
            )
            print(line, flush=True)
            lines.append(line)
    args.out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
