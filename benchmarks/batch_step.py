"""What a batch costs inside ``promptcraft serve``: the numbers behind
promptcraft/nn/ragged_step.py and promptcraft/nn/continuous_batching.py.

1. One decoding step (:class:`RaggedStep`) for 1 to 16 rows of mixed lengths: tokens/s grows
   with the batch only while the step stays cheap.
2. Attention for 16 rows: one padded, masked call against one call per row (what the step
   does, and what keeps each row exactly its own).
3. Prefill in chunks of 32 to 256 tokens, with the quantised layers dequantising per chunk
   and with their bfloat16 copies kept (``keep_prompt_weights``, what the server does).
4. Which thread decodes: a step of one row on the main thread (which loaded the model) and
   on another thread. Why ``promptcraft serve`` computes on its main thread and runs HTTP
   on another (promptcraft/server/run.py).

    python benchmarks/batch_step.py                   # SmolLM2 int4, 2 threads
    python benchmarks/batch_step.py --threads 1

Writes benchmarks/results/batch_step.md (``--out`` to change).
"""

from __future__ import annotations

import argparse
import datetime
import platform
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "batch_step.md"


def best_ms(call: Callable[[], object], repeats: int = 5, rounds: int = 3) -> float:
    """The best of ``rounds`` averages over ``repeats`` calls, after one warm-up call."""
    call()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            call()
        times.append((time.perf_counter() - start) / repeats * 1000)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="smollm2", help="a local model's name or path")
    parser.add_argument("--dtype", default="int4", help="weights (int4)")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (2)")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT))
    import torch
    import torch.nn.functional as F

    from promptcraft.nn import load_model
    from promptcraft.nn.catalog import resolve_local_model
    from promptcraft.nn.kv_cache import KVCache
    from promptcraft.nn.quantized import keep_prompt_weights
    from promptcraft.nn.ragged_step import RaggedStep

    torch.set_num_threads(args.threads)
    model, _ = load_model(resolve_local_model(args.model)[0], dtype=args.dtype)
    model.use_fast_layout()
    config = model.config
    rows = 16
    generator = torch.Generator().manual_seed(0)
    cache = KVCache(
        n_layers=config.n_layers,
        batch_size=rows,
        n_kv_heads=config.n_kv_heads,
        max_len=512,
        head_dim=config.head_dim,
        dtype=model.dtype,
    )
    lengths = torch.randint(30, 450, (rows,), generator=generator).tolist()
    tokens = torch.randint(0, config.vocab_size, (rows,), generator=generator)
    step = RaggedStep(model, max_rows=rows)
    lines = [
        f"# A batch inside promptcraft serve: {args.model} {args.dtype}, {args.threads} thread(s)",
        "",
        f"{datetime.date.today()}, {platform.machine()}, torch {torch.__version__}; best of 3 "
        "rounds. Rows hold 30 to 450 tokens (mean "
        f"{sum(lengths) / rows:.0f}). Row groups measured: {step.groups}.",
        "",
        "| rows | ms per step | tokens/s |",
        "| ---: | ---: | ---: |",
    ]
    with torch.inference_mode():
        for batch in (1, 2, 4, 8, 16):
            ms = best_ms(lambda b=batch: step(tokens[:b], cache, list(range(b)), lengths[:b]))
            lines.append(f"| {batch} | {ms:.1f} | {batch / ms * 1000:.0f} |")

        heads, kv_heads, dim = config.n_heads, config.n_kv_heads, config.head_dim
        q = torch.randn(rows, heads, 1, dim, generator=generator)
        keys, values = cache.keys[0], cache.values[0]
        longest = max(lengths) + 1
        valid = torch.arange(longest)[None, :] <= torch.tensor(lengths)[:, None]
        gqa = kv_heads != heads

        def padded() -> object:
            return F.scaled_dot_product_attention(
                q,
                keys[:, :, :longest],
                values[:, :, :longest],
                attn_mask=valid[:, None, None],
                enable_gqa=gqa,
            )

        def per_row() -> object:
            return [
                F.scaled_dot_product_attention(
                    q[i : i + 1],
                    keys[i : i + 1, :, : n + 1],
                    values[i : i + 1, :, : n + 1],
                    enable_gqa=gqa,
                )
                for i, n in enumerate(lengths)
            ]

        lines += [
            "",
            "Attention of one layer for the 16 rows:",
            "",
            "| how | ms |",
            "| --- | ---: |",
            f"| one padded, masked call | {best_ms(padded, 20):.2f} |",
            f"| one call per row | {best_ms(per_row, 20):.2f} |",
        ]

        prompt = torch.randint(0, config.vocab_size, (1, 512), generator=generator)
        row = cache.row(0)

        def prefill(chunk: int) -> Callable[[], object]:
            def run() -> None:
                for start in range(0, 512, chunk):
                    model(prompt[:, start : start + chunk], cache=row, start=start, last_only=True)

            return run

        chunks = (32, 64, 128, 256)
        per_chunk = {c: best_ms(prefill(c), 1, 2) for c in chunks}
        kept = keep_prompt_weights(model)
        kept_chunk = {c: best_ms(prefill(c), 1, 2) for c in chunks}
        one = tokens[:1].view(1, 1)

        def one_row() -> object:
            return model(one, cache=row, start=200)

        def on_other_thread() -> float:
            result: list[float] = []

            def run() -> None:
                torch.set_num_threads(args.threads)
                with torch.inference_mode():
                    result.append(best_ms(one_row, 20, 1))

            thread = threading.Thread(target=run)
            thread.start()
            thread.join()
            return result[0]

        main_ms, other_ms = [], []
        for _ in range(3):  # alternating, so that noise on the shared machine hits both
            main_ms.append(best_ms(one_row, 20, 1))
            other_ms.append(on_other_thread())
        on_main, elsewhere = min(main_ms), min(other_ms)
        lines += [
            "",
            "One row's decoding step, by the thread that runs it (the model loaded on the main "
            "thread):",
            "",
            "| thread | ms per step |",
            "| --- | ---: |",
            f"| main thread | {on_main:.1f} |",
            f"| another thread | {elsewhere:.1f} ({elsewhere / on_main - 1:+.0%}) |",
        ]
        lines += [
            "",
            f"Prefill of 512 tokens in chunks (bfloat16 copies kept: {kept / 2**20:.0f} MB):",
            "",
            "| chunk | dequantised per chunk | copies kept |",
            "| ---: | ---: | ---: |",
            *(
                f"| {c} | {512 / per_chunk[c] * 1000:.0f} tok/s | "
                f"{512 / kept_chunk[c] * 1000:.0f} tok/s |"
                for c in chunks
            ),
            "",
            "Command: `python benchmarks/" + " ".join(["batch_step.py", *sys.argv[1:]]) + "`",
            "",
        ]
    report = "\n".join(lines)
    print(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(report)


if __name__ == "__main__":
    main()
