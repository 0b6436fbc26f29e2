"""What quantised weights cost and buy on the default model: perplexity, greedy agreement
with float32, decode speed and memory, per dtype (float32, bfloat16, int8, int4 with groups
of 32, 64 and 128).

The default model's file is itself 4-bit (Q4_1, groups of 32; its embedding Q8_0), so
float32 here is those blocks dequantised exactly, and int4 takes the same blocks as they
are (only their scales rounded to bfloat16); int4-g64 and int4-g128 quantise those values
again, in larger groups, and int8 per row.

- **Perplexity** on real language we wrote and ship: every sentence of four words or more in
  the hand-written evaluation sets (`templates/evals/*.jsonl`, `benchmarks/data/*.jsonl`,
  `examples/eval/{sentiment,intent,topic}/data.jsonl`; not the generated pc-tiny lists),
  one per line, scored in windows of 512 tokens that overlap by 256 (each token predicted
  once, with at least 256 tokens of context after the first window).
- **Greedy agreement**: 24 chat prompts of the held-out real prompts
  (`benchmarks/data/real_prompts.jsonl`), 32 new tokens each; the share of completions
  identical to float32's, and of tokens before the first difference.
- **Decode**: tokens/s over 64 new tokens after a short prompt, EOS ignored, best of 3, at
  the given threads (1 by default); peak RSS after loading, in a fresh process per dtype.

    python benchmarks/quantization.py               # writes benchmarks/results/quantization.md
    python benchmarks/quantization.py --quick       # fewer tokens and prompts, no file
"""

from __future__ import annotations

import argparse
import datetime
import glob
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

DTYPES = ("float32", "bfloat16", "int8", "int4", "int4-g64", "int4-g128")
WINDOW, STRIDE = 512, 256


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--one", choices=DTYPES, help=argparse.SUPPRESS)  # the child process
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/quantization.md")
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.threads, args.quick)))
        return
    results = {}
    for dtype in DTYPES:  # a fresh process each: peak RSS is the dtype's own
        command = [sys.executable, __file__, "--one", dtype, "--threads", str(args.threads)]
        output = subprocess.run(
            command + (["--quick"] if args.quick else []),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results[dtype] = json.loads(output.strip().splitlines()[-1])
        print(dtype, results[dtype]["summary"], flush=True)
    reference = results["float32"]["completions"]
    for dtype in DTYPES:
        results[dtype]["agreement"] = _agreement(results[dtype]["completions"], reference)
    table = _markdown(results, args)
    print(table)
    if not args.quick:
        args.out.write_text(table, encoding="utf-8")
        print(f"written to {args.out}")


def measure(dtype: str, threads: int, quick: bool) -> dict[str, Any]:
    import torch

    import promptcraft as pc

    began = time.perf_counter()
    backend = pc.load_backend("smollm2", dtype=dtype, threads=threads)
    load = time.perf_counter() - began
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert isinstance(backend, pc.LocalBackend)
    tokens = backend.tokenizer.encode("\n".join(_texts()))
    tokens = tokens[: 4096 if quick else len(tokens)]
    torch.set_num_threads(threads)
    with torch.no_grad():
        nll, counted = _nll(backend.decoder, tokens)
    prompts = _prompts()[: 6 if quick else 24]
    completions = [
        backend.generator.encode(
            backend.chat([{"role": "user", "content": p}], max_tokens=32, temperature=0).text
        )
        for p in prompts
    ]
    decode = max(_decode(backend) for _ in range(1 if quick else 3))
    perplexity = math.exp(nll / counted)
    return {
        "dtype": dtype,
        "perplexity": perplexity,
        "tokens": counted,
        "decode": decode,
        "rss_mb": rss,
        "load_s": load,
        "completions": completions,
        "summary": f"ppl {perplexity:.2f} over {counted} tokens, decode {decode:.1f} tok/s, "
        f"RSS {rss:.0f} MB",
    }


def _texts() -> list[str]:
    files = sorted(
        glob.glob(str(ROOT / "templates/evals/*.jsonl"))
        + glob.glob(str(ROOT / "benchmarks/data/*.jsonl"))
        + [
            str(ROOT / f"examples/eval/{task}/data.jsonl")
            for task in ("sentiment", "intent", "topic")
        ]
    )
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str) and len(value.split()) >= 4:
            texts.append(value.strip())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    for path in files:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if line.strip():
                walk(json.loads(line))
    return texts


def _nll(decoder: Any, tokens: list[int]) -> tuple[float, int]:
    """Summed negative log-likelihood of every token after the first, in overlapping
    windows; and how many tokens it counts."""
    import torch

    total, counted = 0.0, 0
    start = 0
    while True:
        window = tokens[start : start + WINDOW]
        ids = torch.tensor([window])
        logits = decoder(ids)[0].float()
        logprobs = torch.log_softmax(logits[:-1], dim=-1)
        targets = ids[0, 1:]
        first = 0 if start == 0 else WINDOW - STRIDE - 1  # tokens earlier windows counted
        picked = logprobs[first:].gather(1, targets[first:, None])[:, 0]
        total -= float(picked.sum())
        counted += picked.numel()
        if start + WINDOW >= len(tokens):
            return total, counted
        start += STRIDE


def _prompts() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "benchmarks/data/real_prompts.jsonl").open()]
    return [r.get("question") or r.get("text") for r in rows if r.get("question") or r.get("text")]


def _decode(backend: Any) -> float:
    prompt = "Write a short story about a lighthouse keeper."
    backend.generate(prompt, max_tokens=1, temperature=0)
    began = time.perf_counter()
    out = backend.generate(prompt, max_tokens=64, temperature=0, ignore_eos=True)
    return float(out.usage.completion_tokens / (time.perf_counter() - began))


def _agreement(completions: list[list[int]], reference: list[list[int]]) -> tuple[float, float]:
    """(share of identical completions, share of tokens before the first difference)."""
    same = sum(a == b for a, b in zip(completions, reference, strict=True))
    prefix = total = 0
    for a, b in zip(completions, reference, strict=True):
        total += len(b)
        for x, y in zip(a, b, strict=False):
            if x != y:
                break
            prefix += 1
    return same / len(reference), prefix / max(total, 1)


def _markdown(results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    first = results["float32"]
    lines = [
        "# Quantisation on SmolLM2-135M-Instruct",
        "",
        f"{datetime.date.today()} · {platform.machine()} · {os.cpu_count()} CPUs · "
        f"{args.threads} thread(s) · `python benchmarks/quantization.py` · perplexity over "
        f"{first['tokens']} tokens of our hand-written evaluation sentences; greedy agreement "
        f"on {len(first['completions'])} real prompts, 32 tokens each",
        "",
        "| dtype | perplexity | identical completions | tokens before the first difference "
        "| decode tok/s | peak RSS | load |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for dtype, r in results.items():
        same, prefix = r["agreement"]
        lines.append(
            f"| {dtype} | {r['perplexity']:.3f} | {same:.0%} | {prefix:.0%} | {r['decode']:.1f} "
            f"| {r['rss_mb']:.0f} MB | {r['load_s']:.1f} s |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
