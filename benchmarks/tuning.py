"""Tuning the bundled model: every method on held-out tasks it fails zero- and few-shot.

Tasks (seeded; 450 examples to tune on, of which 10% validate, and 200 separate test
examples never trained or early-stopped on):

- ``count_label``: a fixed label mapping not shown in the prompt. The input is 2-5 words
  joined by " | "; the output is a colour that names how many there are (2 blue, 3 green,
  4 red, 5 gold). The model must count (a skill it has) and learn the mapping (new).
- ``reverse``: a string transform. The input is 3-5 random letters ("k q a"); the output is
  them reversed ("a q k"). Random letters leave nothing to memorise: 450 examples cover a
  tiny part of the possible inputs, and the test inputs never appear in training.

A third task, ``shift`` (each letter one place on, "c a t" -> "d b u"), is generated too
but not tuned: the model already does it from 8 demonstrations (Caesar shifts are in its
curriculum), so it is not a task the model fails few-shot.

Both use the default tuning template (``Input: ...\\nOutput:``). Baselines score the same
test examples zero-shot and with 8 demonstrations (a few-shot prompt). Each method then runs
``pc.run_tuning`` under the same budget of CPU time, and its adapter is loaded back with
``pc.load_backend("pc-tiny", adapter=...)`` to score the test set as an app would see it.

    python benchmarks/tuning.py                       # everything, one process (about 30 min)
    python benchmarks/tuning.py run --task count_label --method prompt   # one cell
    python benchmarks/tuning.py baseline --task count_label
    python benchmarks/tuning.py report                # the table from the cells run so far

Cells are JSON files under benchmarks/results/tuning/; ``report`` writes
benchmarks/results/tuning.md and tuning.png. Two cells may run at once with ``--threads 1``
each on a 2-core machine. CPU seconds are the process's own (``time.process_time``).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
CELLS = RESULTS / "tuning"
WORK = Path("/tmp/promptcraft-tuning-bench")
METHODS = ("prompt", "prefix", "ffn", "top_layers", "full")
TASKS = ("count_label", "reverse", "shift")
TUNED_TASKS = ("count_label", "reverse")


def _split(text: str) -> list[str]:
    return text.split()


WORDS = _split(
    "cat dog sun car hat cup pen box key map bed egg fan jar owl pig rug bag bus cow fox hen "
    "ink log mop nut pot toy van web ant bat bee cod elk fig gem hut ivy jet kid lid mug oak"
)
COUNT_LABELS = {2: "blue", 3: "green", 4: "red", 5: "gold"}
LETTERS = "abcdefghijklmnopqrstuvwxyz"
SHIFT_WORDS = [
    *WORDS,
    *_split(
        "arm bow cab dam ear fur gum hip jam kit lap man net orb pad ram sap tin urn vet wax yak "
        "bird fish tree rock leaf moon star frog lamp desk door milk rice corn salt ship coat "
        "sock ring bell drum kite nest pear plum rose seed"
    ),
]


def make_example(task: str, rng: random.Random, words: list[str]) -> dict[str, str]:
    if task == "count_label":
        n = rng.randint(2, 5)
        return {"input": " | ".join(rng.sample(words, n)), "output": COUNT_LABELS[n]}
    if task == "reverse":
        letters = [rng.choice(LETTERS) for _ in range(rng.randint(3, 5))]
        return {"input": " ".join(letters), "output": " ".join(reversed(letters))}
    word = rng.choice(words)
    shifted = " ".join(LETTERS[(LETTERS.index(c) + 1) % 26] for c in word)
    return {"input": " ".join(word), "output": shifted}


def task_files(task: str) -> tuple[Path, Path]:
    """Write (train, test) JSONL for ``task``. Test inputs never appear in train; for
    ``shift`` the test words are a held-out third of the word list."""
    WORK.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"{task}-0")
    words = list(WORDS if task == "count_label" else SHIFT_WORDS)
    test_words = words
    if task == "shift":
        rng.shuffle(words)
        cut = len(words) // 3
        test_words, words = words[:cut], words[cut:]
    test = [make_example(task, rng, test_words) for _ in range(200)]
    test_inputs = {row["input"] for row in test}
    train: list[dict[str, str]] = []
    while len(train) < 450:
        row = make_example(task, rng, words)
        if row["input"] not in test_inputs:
            train.append(row)
    paths = WORK / f"{task}-train.jsonl", WORK / f"{task}-test.jsonl"
    for path, rows in zip(paths, (train, test), strict=True):
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return paths


def _setup(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def baseline(task: str, threads: int) -> dict[str, Any]:
    """Zero-shot and 8-shot test exact match of the bundled model."""
    _setup(threads)
    import promptcraft as pc
    from promptcraft.tuning.data import default_template, read_examples

    train_path, test_path = task_files(task)
    train, test = read_examples(train_path), read_examples(test_path)
    backend = pc.load_backend("pc-tiny", threads=threads)
    zero = default_template()
    shots = pc.FewShotPrompt(
        examples=[{"input": e.input, "output": e.output} for e in train[:8]],
        input_label="Input",
        output_label="Output",
    )
    result: dict[str, Any] = {"task": task, "kind": "baseline", "test_examples": len(test)}
    for name, template in (("zero_shot", zero), ("few_shot_8", shots)):
        prompts = [template.render(input=e.input) for e in test]
        outs = backend.generate_batch(prompts, max_tokens=12, temperature=0, stop=["\n"])
        hits = sum(o.text.strip() == e.output for o, e in zip(outs, test, strict=True))
        result[name] = hits / len(test)
    return result


def run_cell(task: str, method: str, threads: int, budget: float) -> dict[str, Any]:
    """Tune ``method`` on ``task``; score the test set through load_backend(adapter=...)."""
    _setup(threads)
    import promptcraft as pc
    from promptcraft.tuning import run_tuning
    from promptcraft.tuning.data import default_template, read_examples

    train_path, test_path = task_files(task)
    cpu, wall = time.process_time(), time.perf_counter()
    report = run_tuning(
        method,  # type: ignore[arg-type]
        data=train_path,
        test_data=test_path,
        model="pc-tiny",
        out=WORK / "adapters" / f"{task}-{method}",
        max_cpu_seconds=budget,
        progress=False,
    )
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    backend = pc.load_backend("pc-tiny", adapter=report.adapter, threads=threads)
    template, test = default_template(), read_examples(test_path)
    outs = backend.generate_batch(
        [template.render(input=e.input) for e in test], max_tokens=12, temperature=0
    )
    served = sum(o.text.strip() == e.output for o, e in zip(outs, test, strict=True)) / len(test)
    info, outcome = report.info, report.outcome
    return {
        "task": task,
        "kind": "tuning",
        "method": method,
        "threads": threads,
        "cpu_budget_s": budget,
        "trained_params": info.trained_params,
        "total_params": info.total_params,
        "train_examples": info.train_examples,
        "val_examples": info.val_examples,
        "test_examples": report.test_examples,
        "steps": outcome.steps,
        "epochs": round(outcome.epochs, 2),
        "stopped_early": outcome.stopped_early,
        "train_seconds": round(outcome.train_seconds, 1),
        "run_wall_seconds": round(wall, 1),
        "run_cpu_seconds": round(cpu, 1),
        "tokens_per_s": round(outcome.tokens_per_s),
        "val_loss": [round(outcome.first_val_loss, 3), round(outcome.best_val_loss, 3)],
        "val_exact_match": [info.val_exact_match_before, info.val_exact_match],
        "test_exact_match": [report.test_exact_match_before, report.test_exact_match],
        "served_test_exact_match": served,
        "adapter_bytes": report.adapter_bytes,
    }


def write_report() -> Path:
    cells = [json.loads(p.read_text()) for p in sorted(CELLS.glob("*.json"))]
    lines = [
        "# Tuning the bundled model",
        "",
        f"Measured {datetime.date.today()} on {platform.processor() or platform.machine()}, "
        f"Python {platform.python_version()}, by `python benchmarks/tuning.py` (see its "
        "docstring for the tasks). The machine was shared with other jobs, so wall times are "
        "noisy; each method got the same budget of CPU time (not wall time) for training.",
        "",
        "Reproduce (two cells at a time on 2 cores):",
        "",
        "```bash",
        "python benchmarks/tuning.py baseline",
        "python benchmarks/tuning.py run --task count_label --threads 1 &",
        "python benchmarks/tuning.py run --task reverse --threads 1; wait",
        "python benchmarks/tuning.py report",
        "```",
        "",
        "Columns: *steps (epochs)* run before early stopping, the epoch limit (30) or the "
        "budget ended training; *train time* is wall time; *CPU time* covers the whole run "
        "(data, training, both exact-match passes); *test exact match* is on the 200 test "
        "examples, before and after, as measured right after training; *served* is the same "
        'test set through `pc.load_backend("pc-tiny", adapter=...)`, batched.',
        "",
    ]
    for task in TASKS:
        base = next((c for c in cells if c["task"] == task and c["kind"] == "baseline"), None)
        rows = [c for c in cells if c["task"] == task and c["kind"] == "tuning"]
        rows.sort(key=lambda c: METHODS.index(c["method"]))
        if base is None and not rows:
            continue
        lines += [f"## {task}", ""]
        if base is not None:
            lines += [
                f"Bundled model, no tuning, on the {base['test_examples']} test examples: "
                f"zero-shot {_pct(base['zero_shot'])}, 8-shot {_pct(base['few_shot_8'])}."
                + ("" if rows else " Not tuned: the model already does it from demonstrations."),
                "",
            ]
        if rows:
            lines += [
                f"Tuned on {rows[0]['train_examples']} examples, early-stopped on "
                f"{rows[0]['val_examples']}, budget {rows[0]['cpu_budget_s']:.0f} CPU seconds "
                "of training per method.",
                "",
            ]
        if rows:
            lines += [
                "| method | trained params | % of model | steps (epochs) | train time | "
                "CPU time (threads) | test exact match before → after | served | "
                "adapter size |",
                "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
            ]
            for c in rows:
                before, after = c["test_exact_match"]
                lines.append(
                    f"| {c['method']} | {c['trained_params']:,} | "
                    f"{100 * c['trained_params'] / c['total_params']:.2f}% | "
                    f"{c['steps']} ({c['epochs']}) | {c['train_seconds']:.0f} s | "
                    f"{c['run_cpu_seconds']:.0f} s ({c['threads']}) | "
                    f"{_pct(before)} → {_pct(after)} | {_pct(c['served_test_exact_match'])} | "
                    f"{_size(c['adapter_bytes'])} |"
                )
            lines.append("")
    target = RESULTS / "tuning.md"
    target.write_text("\n".join(lines))
    _plot(cells)
    return target


def _plot(cells: list[dict[str, Any]]) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return
    fig, axes = plt.subplots(1, len(TASKS), figsize=(11, 3.6), squeeze=False)
    for axis, task in zip(axes[0], TASKS, strict=True):
        rows = {c["method"]: c for c in cells if c["task"] == task and c["kind"] == "tuning"}
        names = [m for m in METHODS if m in rows]
        axis.bar(names, [100 * rows[m]["test_exact_match"][1] for m in names], color="#3a7")
        axis.set_title(task)
        axis.set_ylabel("test exact match (%)")
        axis.set_ylim(0, 100)
        axis.tick_params(axis="x", rotation=20)
    fig.tight_layout()
    fig.savefig(RESULTS / "tuning.png", dpi=110)
    plt.close(fig)


def _pct(value: float | None) -> str:
    if value is None:
        return "–"
    percent = 100 * value
    return f"{percent:.0f}%" if percent == round(percent) else f"{percent:.1f}%"


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


def _save(cell: dict[str, Any]) -> None:
    CELLS.mkdir(parents=True, exist_ok=True)
    name = cell["task"] + "-" + cell.get("method", "baseline") + ".json"
    (CELLS / name).write_text(json.dumps(cell, indent=1) + "\n")
    print(json.dumps(cell), flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "command", nargs="?", default="all", choices=["all", "run", "baseline", "report"]
    )
    parser.add_argument("--task", choices=TASKS, action="append")
    parser.add_argument("--method", choices=METHODS, action="append")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--budget", type=float, default=150.0, help="CPU seconds of training per method"
    )
    args = parser.parse_args(argv)
    methods = args.method or list(METHODS)
    if args.command in ("all", "baseline"):
        for task in args.task or TASKS:
            _save(baseline(task, args.threads))
    if args.command in ("all", "run"):
        for task in args.task or TUNED_TASKS:
            for method in methods:
                _save(run_cell(task, method, args.threads, args.budget))
    print(f"wrote {write_report()}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
