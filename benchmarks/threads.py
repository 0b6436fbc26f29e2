"""Torch threads on this machine: decode and prefill at 1 and 2 threads, on an idle machine
and with another process keeping one core busy (as the shared 2-core machines are).

It sets the default of ``threads=`` (:mod:`promptcraft.utils.threads`): the thread count that
holds up best once other work shares the cores, not ``torch.get_num_threads()`` (every core).

    python benchmarks/threads.py                    # pc-tiny and SmolLM2, writes the results
    python benchmarks/threads.py --models pc-tiny --repeats 2
    python benchmarks/threads.py --models smollm2 --dtype int8 --out /tmp/int8.md

Per row: greedy decode tokens/s (64 new tokens, EOS ignored, after a short cached prompt;
batch 1), prefill tokens/s (a new prompt of about 150 tokens, one new token), best of
``--repeats``. The busy process is ``python -c "while True: pass"``, started before the row
and stopped after it.
Writes benchmarks/results/threads.md.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import promptcraft as pc  # noqa: E402

PROMPT = "Write a short story about a lighthouse keeper who finds a message in a bottle."
LONG = " ".join(["The quick brown fox jumps over the lazy dog near the quiet river bank."] * 10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["pc-tiny", "smollm2"])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dtype", default="float32", help="the weights' dtype (float32)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/threads.md")
    args = parser.parse_args()
    rows = []
    for name in args.models:
        backend = pc.load_backend(name, dtype=args.dtype)
        assert isinstance(backend, pc.LocalBackend)
        for busy in (False, True):
            hog = _busy_process() if busy else None
            try:
                for threads in (1, 2):
                    backend.threads = threads  # what load_backend(..., threads=N) sets
                    decode = max(_decode(backend) for _ in range(args.repeats))
                    prefill = max(_prefill(backend) for _ in range(args.repeats))
                    row = (name, "one core busy" if busy else "idle", threads, decode, prefill)
                    print(
                        f"{row[0]:8} {row[1]:14} {threads} threads: decode {decode:6.1f} "
                        f"tok/s, prefill {prefill:7.1f} tok/s",
                        flush=True,
                    )
                    rows.append(row)
            finally:
                if hog is not None:
                    hog.kill()
                    hog.wait()
    args.out.write_text(_markdown(rows, args), encoding="utf-8")
    print(f"written to {args.out}")


def _busy_process() -> subprocess.Popen[bytes]:
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    time.sleep(0.5)
    return hog


def _decode(backend: pc.LocalBackend) -> float:
    backend.generate(PROMPT, max_tokens=1, temperature=0)  # the prompt is cached from now
    began = time.perf_counter()
    out = backend.generate(PROMPT, max_tokens=64, temperature=0, stop=[], ignore_eos=True)
    return out.usage.completion_tokens / (time.perf_counter() - began)


def _prefill(backend: pc.LocalBackend) -> float:
    prompt = f"{time.perf_counter()} {LONG}"  # a new start each time: no prefix cache hit
    began = time.perf_counter()
    out = backend.generate(prompt, max_tokens=1, temperature=0)
    return out.usage.prompt_tokens / (time.perf_counter() - began)


def _markdown(rows: list[tuple[str, str, int, float, float]], args: argparse.Namespace) -> str:
    lines = [
        "# Torch threads: decode and prefill at 1 and 2 threads",
        "",
        f"{datetime.date.today()} · {platform.machine()} · {os.cpu_count()} CPUs · torch "
        f"{torch.__version__} · {args.dtype} weights · best of {args.repeats} · "
        f"`python benchmarks/threads.py --models {' '.join(args.models)} --dtype {args.dtype}`",
        "",
        "| model | machine | threads | decode tok/s | prefill tok/s |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    lines += [
        f"| {name} | {load} | {threads} | {decode:.1f} | {prefill:.0f} |"
        for name, load, threads, decode, prefill in rows
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
