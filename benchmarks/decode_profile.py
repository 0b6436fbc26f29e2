"""Where one decoding step of SmolLM2-135M-Instruct spends its time, per dtype, eager and
compiled: the matrix products, attention, the norms, every other operator, and what is
left (Python and dispatch between operators).

A step is ``model(token, cache=..., start=...)`` after a 100-token prompt. The step time is
measured without the profiler (best of 3 runs of 64 steps); the split comes from
``torch.profiler`` over another 64 steps (operators' self time per step; the profiler
itself makes each operator a little slower, so the split adds up to the profiled step
time, shown too), and *Python and dispatch* is the profiled step time the operators do not
account for, with dynamo's guard checks.

    python benchmarks/decode_profile.py                  # int4 and bfloat16, 2 threads
    python benchmarks/decode_profile.py --dtypes int4 --threads 1

Writes benchmarks/results/decode_profile.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
STEPS, CONTEXT = 64, 100
_WRAPPERS = ("ProfilerStep", "Torch-Compiled Region", "## Call CompiledFxGraph")
# operator name -> the part of the step it belongs to
PARTS = {
    "aten::_weight_int4pack_mm_for_cpu": "matrix products",
    "aten::_weight_int8pack_mm": "matrix products",
    "quantized::linear_dynamic": "matrix products",
    "aten::mm": "matrix products",
    "aten::addmm": "matrix products",
    "aten::_scaled_dot_product_flash_attention_for_cpu": "attention",
    "aten::_fused_rms_norm": "norms",
    "aten::rms_norm": "norms",
    "TorchDynamo Cache Lookup": "Python and dispatch",
    "Pregraph bytecode": "Python and dispatch",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dtypes", nargs="+", default=["int4", "bfloat16"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/decode_profile.md")
    parser.add_argument("--worker", nargs=2, metavar=("DTYPE", "COMPILED"))
    args = parser.parse_args()
    if args.worker:
        dtype, compiled = args.worker
        print("RESULT " + json.dumps(_profile(dtype, compiled == "1", args.threads)), flush=True)
        return
    rows = []
    for dtype in args.dtypes:
        for compiled in ("0", "1"):
            command = [sys.executable, __file__, "--worker", dtype, compiled]
            command += ["--threads", str(args.threads)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
            rows.append(json.loads(line.removeprefix("RESULT ")))
            print(rows[-1], flush=True)
    report = _report(rows, args.threads)
    print(report)
    args.out.write_text(report, encoding="utf-8")


def _profile(dtype: str, compiled: bool, threads: int) -> dict[str, Any]:
    import torch
    from torch.profiler import ProfilerActivity, profile

    sys.path.insert(0, str(ROOT))
    from promptcraft.nn import load_model
    from promptcraft.nn.compiled_step import CompiledStep
    from promptcraft.nn.kv_cache import KVCache

    torch.set_num_threads(threads)
    model, _ = load_model("smollm2", dtype=dtype)
    config = model.config
    step = CompiledStep(model) if compiled else None

    def steps(n: int) -> Any:
        """A prefilled cache of CONTEXT tokens, and a function that decodes ``n`` steps."""
        cache = KVCache(
            n_layers=config.n_layers,
            batch_size=1,
            n_kv_heads=config.n_kv_heads,
            max_len=CONTEXT + n + 1,
            head_dim=config.head_dim,
            dtype=model.dtype,
        )
        with torch.inference_mode():
            model(torch.ones(1, CONTEXT, dtype=torch.long), cache=cache, start=0, last_only=True)

        def decode() -> float:
            token = torch.tensor([[1]])
            with torch.inference_mode():
                start = time.perf_counter()
                for i in range(n):
                    if step is None:
                        logits = model(token, cache=cache, start=CONTEXT + i)
                    else:
                        logits = step(token, cache=cache, start=CONTEXT + i)
                    token = logits[:, -1].argmax(-1, keepdim=True)
                return (time.perf_counter() - start) / n

        return decode

    steps(8)()  # warm-up, and compiling
    step_s = min(steps(STEPS)() for _ in range(3))
    decode = steps(STEPS)
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        profiled_step = decode()
    parts: dict[str, float] = {}
    for event in prof.key_averages():
        if event.key.startswith(_WRAPPERS):
            continue  # regions that contain the operators, not operators themselves
        part = PARTS.get(event.key, "other ops")
        parts[part] = parts.get(part, 0.0) + event.self_cpu_time_total / 1e6 / STEPS
    # What the operators do not account for: Python, dispatch and dynamo's guards.
    parts["Python and dispatch"] = max(profiled_step - sum(parts.values()), 0.0)
    return {
        "dtype": dtype,
        "compiled": compiled,
        "step_ms": step_s * 1e3,
        "profiled_step_ms": profiled_step * 1e3,
        "split": parts,
    }


def _report(rows: list[dict[str, Any]], threads: int) -> str:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from machine import cpu_name

    parts = ["matrix products", "attention", "norms", "other ops", "Python and dispatch"]
    lines = [
        "# One decoding step of SmolLM2-135M-Instruct, split",
        "",
        f"{datetime.date.today()} · {cpu_name()} ({os.cpu_count()} cores, shared) · "
        f"{threads} thread(s) · after a {CONTEXT}-token prompt · "
        "`python benchmarks/decode_profile.py`",
        "",
        "| dtype | decoding | step | profiled step | " + " | ".join(parts) + " |",
        "| --- | --- | ---: | ---: | " + " | ".join("---:" for _ in parts) + " |",
    ]
    for row in rows:
        cells = [f"{row['split'].get(part, 0.0) * 1e3:.2f} ms" for part in parts]
        how = "compiled" if row["compiled"] else "eager"
        lines.append(
            f"| {row['dtype']} | {how} | {row['step_ms']:.2f} ms | "
            f"{row['profiled_step_ms']:.2f} ms | " + " | ".join(cells) + " |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
