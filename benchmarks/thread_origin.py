"""Does it matter which thread decodes? One decoding step of the default model, timed on the
main thread and on another thread of the same process, after the main thread loaded the
model with the same torch threads.

Why ``promptcraft serve`` computes on its main thread (promptcraft/server/run.py) and runs
HTTP on another: with torch's OpenMP threads, a step run from a second thread was much
slower once the main thread had computed with several threads.

    python benchmarks/thread_origin.py                 # SmolLM2 int4, 2 threads
    python benchmarks/thread_origin.py --threads 1

Writes benchmarks/results/thread_origin.md (``--out`` to change).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "thread_origin.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2", help="a local model's name or path")
    parser.add_argument("--dtype", default="int4", help="weights (int4)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (2)")
    parser.add_argument("--steps", type=int, default=60, help="steps timed per round (60)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import torch

    from promptcraft.model_catalog import resolve_local_model
    from promptcraft.nn import load_model
    from promptcraft.nn.kv_cache import KVCache

    torch.set_num_threads(args.threads)
    model, _ = load_model(resolve_local_model(args.model)[0], dtype=args.dtype)
    model.use_fast_layout()
    config = model.config
    cache = KVCache(
        n_layers=config.n_layers,
        batch_size=1,
        n_kv_heads=config.n_kv_heads,
        max_len=512,
        head_dim=config.head_dim,
        dtype=model.dtype,
    )
    token = torch.tensor([[config.bos_token_id or 0]])

    def step_ms() -> float:
        torch.set_num_threads(args.threads)
        with torch.inference_mode():
            for _ in range(5):
                model(token, cache=cache, start=200)
            start = time.perf_counter()
            for _ in range(args.steps):
                model(token, cache=cache, start=200)
        return (time.perf_counter() - start) / args.steps * 1000

    def on_other_thread() -> float:
        result: list[float] = []
        thread = threading.Thread(target=lambda: result.append(step_ms()))
        thread.start()
        thread.join()
        return result[0]

    main_ms, other_ms = [], []
    for _ in range(3):  # alternate, so that noise on the shared machine hits both
        main_ms.append(step_ms())
        other_ms.append(on_other_thread())
    m, o = statistics.median(main_ms), statistics.median(other_ms)
    lines = [
        f"# Which thread decodes: {args.model} {args.dtype}, {args.threads} torch thread(s)",
        "",
        f"{datetime.date.today()}, {platform.machine()}, torch {torch.__version__}; one "
        f"decoding step at position 200, median of 3 alternating rounds of {args.steps} steps; "
        "the model loaded on the main thread.",
        "",
        "| thread | ms per step |",
        "| --- | ---: |",
        f"| main thread | {m:.2f} |",
        f"| another thread | {o:.2f} ({o / m - 1:+.0%}) |",
        "",
        "Command: `python benchmarks/" + " ".join(["thread_origin.py", *sys.argv[1:]]) + "`",
        "",
    ]
    report = "\n".join(lines)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)


if __name__ == "__main__":
    main()
