"""Evaluation speed on the bundled model: a 500-row × 6-variant grid cold and from the response
cache, and what the prefix cache saves on prompts that share an 8-shot prefix.

1. ``pc.evaluate`` over 500 word-counting rows and six variants (prefix; few-shot first_k
   k = 0, 4, 8; few-shot similar_k k = 4; hybrid first_k k = 4), the templates of
   ``examples/eval/pc_tiny``: cold (an empty response cache), then the same call again (every
   completion from the cache), then cold with batching off (one request at a time).
2. The same 8-shot prompt prefix before N different queries, greedy, 4 new tokens at most:
   one at a time with the prefix cache emptied before every call (nothing reused), one at a
   time with the prefix cache (the shared prefix is prefilled once, then reused), and in
   batches of 8 (the evaluation's path). Timings are the best of interleaved repeats.

    python benchmarks/eval.py            # full run (a few minutes on 2 cores)
    python benchmarks/eval.py --quick    # small counts, a smoke test

Writes the tables to benchmarks/results/eval.md as well (not with --quick).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

EXAMPLE = ROOT / "examples" / "eval" / "pc_tiny"
sys.path.insert(0, str(EXAMPLE))

from make_data import WORDS  # noqa: E402  (the word list of examples/eval/pc_tiny)

import promptcraft as pc  # noqa: E402
from promptcraft.evaluation import evaluate  # noqa: E402


def rows(n: int, seed: int = 500) -> list[dict[str, str]]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        words = rng.sample(WORDS, rng.randint(2, 8))
        out.append({"input": " ".join(words), "expected": str(len(words))})
    return out


def grid_benchmark(backend: pc.Backend, n_rows: int) -> list[str]:
    templates = [EXAMPLE / "prefix.prompt", EXAMPLE / "few_shot.prompt", EXAMPLE / "hybrid.prompt"]
    few_shot, hybrid = (pc.load_prompt(t) for t in templates[1:])
    prefix = pc.load_prompt(templates[0])
    data = rows(n_rows)
    lines = []

    def run(cache: Path | None, batch_size: int) -> tuple[float, int, int]:
        start = time.perf_counter()
        generated = hits = 0
        # six variants: prefix; few-shot first_k 0, 4, 8 and similar_k 4; hybrid first_k 4
        for template, select in (
            (prefix, None),
            (few_shot, ["first_k,0,4,8", "similar_k,4"]),
            (hybrid, "first_k,4"),
        ):
            report = evaluate(
                template,
                data=data,
                backend=backend,
                select=select,
                cache=cache,
                batch_size=batch_size,
                progress=False,
            )
            generated += report.generated
            hits += report.cache_hits
        return time.perf_counter() - start, generated, hits

    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder) / "cache.sqlite"
        cold, generated, _ = run(cache, 8)
        warm, _, hits = run(cache, 8)
        unbatched, _, _ = run(Path(folder) / "other.sqlite", 1)
    items = 6 * n_rows
    lines.append(
        f"| {n_rows} rows × 6 variants = {items} items, cold (batches of 8) | {cold:.1f} s | "
        f"{items / cold:.0f} items/s | {generated} distinct requests generated |"
    )
    lines.append(
        f"| the same again, from the response cache | {warm:.2f} s | "
        f"{cold / warm:.0f}× faster than cold | {hits} answered from the cache |"
    )
    lines.append(
        f"| cold, one request at a time (batch_size=1) | {unbatched:.1f} s | "
        f"{items / unbatched:.0f} items/s | batching is {unbatched / cold:.1f}× faster |"
    )
    return lines


def prefix_benchmark(backend: pc.Backend, n_queries: int, repeats: int) -> list[str]:
    template = pc.load_prompt(EXAMPLE / "few_shot.prompt")
    from promptcraft.evaluation.variants import Selection, with_selection

    eight = with_selection(template, Selection(strategy="first_k", k=8))
    prompts = [eight.render(input=row["input"]) for row in rows(n_queries, seed=8)]
    params = {"max_tokens": 4, "temperature": 0.0, "stop": ["\n"]}
    assert isinstance(backend, pc.LocalBackend)
    prompt_tokens = sum(backend.count_tokens(p) for p in prompts) / len(prompts)

    def no_reuse() -> list[str]:
        out = []
        for p in prompts:
            backend.close()  # empties the prefix cache: every prompt is prefilled whole
            out.append(backend.generate(p, params).text)
        return out

    def reuse() -> list[str]:
        backend.close()
        return [backend.generate(p, params).text for p in prompts]

    def batched() -> list[str]:
        backend.close()
        out = []
        for start in range(0, len(prompts), 8):
            out.extend(c.text for c in backend.generate_batch(prompts[start : start + 8], params))
        return out

    best = {"no_reuse": float("inf"), "reuse": float("inf"), "batched": float("inf")}
    answers = {}
    for _ in range(repeats):
        for name, fn in (("no_reuse", no_reuse), ("reuse", reuse), ("batched", batched)):
            start = time.perf_counter()
            answers[name] = fn()
            best[name] = min(best[name], time.perf_counter() - start)
    same = answers["no_reuse"] == answers["reuse"] == answers["batched"]
    shared = len(backend.generator.encode(eight.render(input="")))
    base = best["no_reuse"]
    return [
        f"| {n_queries} queries, 8-shot prefix (~{shared} shared of {prompt_tokens:.0f} prompt "
        f"tokens each), one at a time, prefix cache emptied before each | {base:.2f} s | "
        f"{1000 * base / n_queries:.1f} ms/query | 1.0× (baseline) |",
        f"| the same, one at a time, prefix cache on | {best['reuse']:.2f} s | "
        f"{1000 * best['reuse'] / n_queries:.1f} ms/query | {base / best['reuse']:.1f}× |",
        f"| the same, batches of 8 (the evaluation's path), prefix cache on | "
        f"{best['batched']:.2f} s | {1000 * best['batched'] / n_queries:.1f} ms/query | "
        f"{base / best['batched']:.1f}× |",
        f"| answers identical in all three modes | {same} | | |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small counts, no results file")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load = os.getloadavg()[0]
    started = time.perf_counter()
    backend = pc.load_backend("pc-tiny", threads=args.threads)
    backend.generate("Count the words.\n\nInput: cat dog\nOutput:", max_tokens=2)  # warm-up
    n_rows, n_queries, repeats = (20, 16, 1) if args.quick else (500, 64, 3)
    grid = grid_benchmark(backend, n_rows)
    prefix = prefix_benchmark(backend, n_queries, repeats)
    total = time.perf_counter() - started
    header = (
        f"{datetime.date.today()} · {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores · torch {torch.__version__} · {args.threads} threads · "
        f"model {backend.model} · full run in {total:.0f} s · load average {load:.1f} at start"
    )
    text = "\n".join(
        [
            "# Evaluation benchmark",
            "",
            header,
            "",
            "Word counting (the task of `examples/eval/pc_tiny`), greedy, the bundled model. "
            "Shared machine: other processes may have been running.",
            "",
            "## A 500-row × 6-variant evaluation",
            "",
            "| run | time | rate | |",
            "| --- | ---: | --- | --- |",
            *grid,
            "",
            "## Prefix cache on prompts sharing an 8-shot prefix (goal: ≥ 3× over no cache)",
            "",
            "| mode | time (best of repeats) | per query | speed-up |",
            "| --- | ---: | ---: | ---: |",
            *prefix,
            "",
        ]
    )
    print(text)
    if not args.quick:
        out = ROOT / "benchmarks" / "results" / "eval.md"
        out.write_text(text, encoding="utf-8")
        print(f"wrote {out}")


if __name__ == "__main__":
    main()
