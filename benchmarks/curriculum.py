"""Benchmark: curriculum throughput and sample sizes.

Generates samples from the default mixture and prints samples/s (cold: includes compiling
each layout's template once; warm: a second stream), the average and largest characters
per sample, by kind. With ``--bpe`` it also trains a BPE with single-digit splitting on
part of the corpus and reports tokens per sample, the number the trainer's budget is
planned in.

    .venv/bin/python benchmarks/curriculum.py [--n 20000] [--bpe 3072]
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # recipes/ is not installed

from recipes.pc_tiny import SPECIAL_TOKENS, corpus_text, generate_samples


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    parser.add_argument("--bpe", type=int, default=0, help="vocabulary size; 0 skips it")
    args = parser.parse_args()

    start = time.perf_counter()
    list(generate_samples(args.n, seed=0))
    cold_s = time.perf_counter() - start
    start = time.perf_counter()
    warm = list(generate_samples(args.n, seed=1))
    warm_s = time.perf_counter() - start
    print(f"{platform.processor() or platform.machine()}, one process")
    print(f"cold: {args.n / cold_s:,.0f} samples/s   warm: {args.n / warm_s:,.0f} samples/s")

    by_kind: dict[str, list[int]] = defaultdict(list)
    for sample in warm:
        by_kind[sample.kind].append(len(sample.text))
    total = [n for sizes in by_kind.values() for n in sizes]
    print(f"all: {sum(total) / len(total):.0f} chars/sample on average, {max(total)} at most")
    for kind, sizes in sorted(by_kind.items()):
        share = len(sizes) / len(total)
        print(f"  {kind:9s} {share:5.1%}  {sum(sizes) / len(sizes):5.0f} avg  {max(sizes):5d} max")

    if args.bpe:
        from recipes.pc_tiny.bpe_training import train_bpe

        start = time.perf_counter()
        text = corpus_text(min(args.n, 20_000), 0)
        tok = train_bpe([text], args.bpe, split_digits=True, special_tokens=list(SPECIAL_TOKENS))
        print(f"BPE {args.bpe} trained in {time.perf_counter() - start:.1f}s")
        counts = defaultdict(list)
        for sample in warm[:5000]:
            n = len(tok.encode(sample.text, allow_special=True))
            counts[sample.kind].append(n)
        every = [n for c in counts.values() for n in c]
        chars = sum(len(s.text) for s in warm[:5000])
        print(
            f"tokens/sample: {sum(every) / len(every):.0f} avg, {max(every)} max;"
            f" {chars / sum(every):.2f} chars/token"
        )
        for kind, c in sorted(counts.items()):
            print(f"  {kind:9s} {sum(c) / len(c):5.0f} avg  {max(c):5d} max")


if __name__ == "__main__":
    main()
