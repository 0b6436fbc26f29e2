"""How long ``load_backend("local:PATH")`` takes for a ~7.7M-parameter Llama-style model.

Each measurement runs in a fresh Python process (so nothing is warm) and is repeated; the
table shows the median. Rows:

- ``import torch``: the interpreter's cost of importing torch alone;
- ``first load_backend``: the first load in a process that has imported torch already;
- ``second load_backend``: the same checkpoint again, same process;
- ``meta-device Decoder(config), first``: building the model skeleton on the meta device,
  the first time in a process. ``load_model`` does this; on meta tensors ``nn.init``
  dispatches through ``torch._refs``, whose first use imports ``torch._dynamo``;
- ``first generate (1 token)``: prefill of a short prompt and one decoding step.

    python benchmarks/load_backend.py            # 5 repeats
    python benchmarks/load_backend.py --quick    # 2 repeats

Writes the table to benchmarks/results/load_backend.md as well.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CONFIG = {
    "family": "llama",
    "vocab_size": 4096,
    "dim": 288,
    "n_layers": 6,
    "n_heads": 6,
    "n_kv_heads": 2,
    "head_dim": 48,
    "hidden_dim": 768,
    "max_seq_len": 512,
    "norm_eps": 1e-5,
    "activation": "silu",
    "bos_token_id": 256,
    "eos_token_ids": [256],
}

_BUILD = """
import json, sys, torch
from promptcraft.nn import Decoder, ModelConfig, save_model
from promptcraft.tokenizers.tokenizer import GPT2_PATTERN, Tokenizer
torch.manual_seed(0)
tokenizer = Tokenizer.from_ranks({bytes([b]): b for b in range(256)}, pattern=GPT2_PATTERN,
    special_tokens={"<|endoftext|>": 256}, bos_token_id=256, eos_token_id=256)
model = Decoder(ModelConfig(**json.loads(sys.argv[2])))
save_model(model, tokenizer, sys.argv[1])
print(sum(p.numel() for p in model.parameters()))
"""

_MEASURE = """
import json, sys, time
t0 = time.perf_counter()
import torch
t1 = time.perf_counter()
torch.set_num_threads(2)
from promptcraft.backends import load_backend
from promptcraft.nn import Decoder, ModelConfig
if sys.argv[2] == "meta":
    config = ModelConfig(**json.loads(sys.argv[3]))
    t2 = time.perf_counter()
    with torch.device("meta"):
        Decoder(config)
    print(json.dumps({"meta": time.perf_counter() - t2}))
    raise SystemExit
t2 = time.perf_counter()
backend = load_backend("local:" + sys.argv[1])
t3 = time.perf_counter()
load_backend("local:" + sys.argv[1])
t4 = time.perf_counter()
backend.generate("Hello there, how are you?", max_tokens=1, temperature=0)
t5 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first": t3 - t2, "second": t4 - t3, "generate": t5 - t4}))
"""


def _python(code: str, *args: str) -> str:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, env=env
    )
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2 repeats instead of 5")
    args = parser.parse_args()
    repeats = 2 if args.quick else 5
    config = json.dumps(CONFIG)
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model")
        n_params = int(_python(_BUILD, path, config))
        runs = [json.loads(_python(_MEASURE, path, "load")) for _ in range(repeats)]
        metas = [json.loads(_python(_MEASURE, path, "meta", config)) for _ in range(repeats)]

    def median(key: str, rows: list[dict[str, float]]) -> str:
        return f"{statistics.median(r[key] for r in rows) * 1000:.0f} ms"

    table = [
        ("import torch", median("import", runs)),
        ("first load_backend", median("first", runs)),
        ("second load_backend", median("second", runs)),
        ("meta-device Decoder(config), first", median("meta", metas)),
        ("first generate (1 token)", median("generate", runs)),
    ]
    lines = [
        f"# load_backend: {n_params / 1e6:.2f}M-parameter Llama model, float32",
        "",
        f"{datetime.date.today()}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, median of {repeats} "
        "fresh processes (a shared machine: expect noise).",
        "",
        "| step | time |",
        "| --- | --- |",
        *[f"| {name} | {value} |" for name, value in table],
        "",
    ]
    text = "\n".join(lines)
    print(text)
    results = ROOT / "benchmarks" / "results"
    results.mkdir(parents=True, exist_ok=True)
    (results / "load_backend.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
