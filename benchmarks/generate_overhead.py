"""Per-call overhead of a generate call: what the engine spends around the model.

A cached prompt is generated with ``max_tokens=1`` (one decoder forward of one token) through
``LocalBackend.generate`` and ``Generator.generate``; the time inside ``Decoder.forward`` is
subtracted. Median (and min) of N calls, one thread, pc-tiny and SmolLM2 int4.

    python benchmarks/generate_overhead.py
    PYTHONPATH=/path/to/an/older/checkout python benchmarks/generate_overhead.py   # before

(Issue 22 chose the weights' layout once at load instead of on every call; this measures it.)
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import promptcraft as pc

PROMPT = "Q: what is two plus two?\nA:"


def measure(label: str, call: Callable[[], Any], model: Any, n: int) -> None:
    inner = 0.0
    original = model.forward

    def timed(*args: Any, **kwargs: Any) -> Any:
        nonlocal inner
        start = time.perf_counter()
        out = original(*args, **kwargs)
        inner += time.perf_counter() - start
        return out

    model.forward = timed
    totals, overheads = [], []
    for _ in range(n):
        inner = 0.0
        start = time.perf_counter()
        call()
        total = time.perf_counter() - start
        totals.append(total)
        overheads.append(total - inner)
    del model.forward

    def ms(xs: list[float]) -> str:
        return f"{statistics.median(xs) * 1e3:.3f} (min {min(xs) * 1e3:.3f})"

    print(f"  {label}: call {ms(totals)} ms, outside the forward {ms(overheads)} ms", flush=True)


def main() -> None:
    runs: list[tuple[str, str | None, dict[str, Any], int]] = [
        ("pc-tiny", "pc-tiny", {}, 1000),
        ("smollm2 int4", None, {"dtype": "int4"}, 300),
    ]
    for label, spec, options, n in runs:
        backend = pc.load_backend(spec, threads=1, **options)
        ids = backend.generator.encode(PROMPT)

        def call(b: Any = backend) -> Any:
            return b.generate(PROMPT, max_tokens=1, temperature=0)

        def raw(b: Any = backend, i: list[int] = ids) -> Any:
            return b.generator.generate(i, max_tokens=1, temperature=0)

        for _ in range(30):  # warm the prefix cache and the allocator
            call()
            raw()
        print(label)
        measure("LocalBackend.generate", call, backend.decoder, n)
        measure("Generator.generate   ", raw, backend.decoder, n)


if __name__ == "__main__":
    main()
