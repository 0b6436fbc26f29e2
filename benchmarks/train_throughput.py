"""Training throughput of candidate bundled-model sizes on this CPU.

Times full training steps (forward, backward, AdamW) on random tokens, for a few
Llama-style configs, float32 vs bfloat16 autocast, plain causal attention vs a
per-document mask. Run:

    .venv/bin/python benchmarks/train_throughput.py --threads 2

The machine is shared with other work, so figures vary widely; each line says how many of
the threads' cores the process actually got, which puts figures from busy moments in scale.
"""

from __future__ import annotations

import argparse
import time

import torch

from promptcraft.nn import Decoder, ModelConfig

CANDIDATES = {
    "d192-L6": {"dim": 192, "n_layers": 6, "n_heads": 6, "n_kv_heads": 3, "hidden_dim": 512},
    "d256-L6": {"dim": 256, "n_layers": 6, "n_heads": 8, "n_kv_heads": 4, "hidden_dim": 688},
    "d256-L8": {"dim": 256, "n_layers": 8, "n_heads": 8, "n_kv_heads": 4, "hidden_dim": 688},
    "d320-L8": {"dim": 320, "n_layers": 8, "n_heads": 8, "n_kv_heads": 4, "hidden_dim": 864},
}


def make_config(shape: dict[str, int], vocab: int, context: int) -> ModelConfig:
    return ModelConfig(
        family="llama",
        vocab_size=vocab,
        head_dim=shape["dim"] // shape["n_heads"],
        max_seq_len=context,
        norm_eps=1e-5,
        activation="silu",
        tie_word_embeddings=True,
        **shape,
    )


def document_mask(rows: int, length: int, docs: int) -> torch.Tensor:
    """Block-diagonal causal mask for rows holding ``docs`` equal documents each."""
    doc = torch.arange(length) * docs // length
    causal = torch.ones(length, length, dtype=torch.bool).tril()
    same = doc[:, None] == doc[None, :]
    return (causal & same).expand(rows, 1, length, length)


def time_steps(
    config: ModelConfig, rows: int, length: int, *, bf16: bool, doc_mask: bool, steps: int
) -> float:
    torch.manual_seed(0)
    model = Decoder(config).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3, fused=True)
    tokens = torch.randint(0, config.vocab_size, (rows, length + 1))
    mask = document_mask(rows, length, 4) if doc_mask else None
    timings = []
    cpu = 0.0
    for step in range(steps + 2):
        start, cpu_start = time.perf_counter(), time.process_time()
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            logits = model(tokens[:, :-1], mask=mask)
        loss = torch.nn.functional.cross_entropy(
            logits.float().flatten(0, 1), tokens[:, 1:].flatten()
        )
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if step >= 2:  # the first steps allocate and warm up kernels
            timings.append(time.perf_counter() - start)
            cpu += time.process_time() - cpu_start
    timings.sort()
    return rows * length / timings[len(timings) // 2], cpu / sum(timings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--rows", type=int, default=16)
    parser.add_argument("--length", type=int, default=256)
    parser.add_argument(
        "--all-modes", action="store_true", help="also float32 and plain causal attention"
    )
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--only", nargs="*", default=None, help="candidate names to run")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} threads, rows {args.rows}x{args.length}")
    for name, shape in CANDIDATES.items():
        if args.only and name not in args.only:
            continue
        config = make_config(shape, args.vocab, 512)
        params = sum(p.numel() for p in Decoder(config).parameters())
        modes = [(b, d) for b in (False, True) for d in (False, True)]
        for bf16, doc_mask in modes if args.all_modes else [(True, True)]:
            rate, cores = time_steps(
                config, args.rows, args.length, bf16=bf16, doc_mask=doc_mask, steps=args.steps
            )
            print(
                f"{name:8s} {params / 1e6:5.2f}M  {'bf16' if bf16 else 'fp32'}  "
                f"{'doc-mask' if doc_mask else 'causal  '}  {rate:8.0f} tok/s "
                f"(using {cores:.2f} cores: the rest went to other processes)",
                flush=True,
            )


if __name__ == "__main__":
    main()
