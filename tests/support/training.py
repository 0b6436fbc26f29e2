"""A tiny Llama-style decoder and a toy copy task for the training tests."""

from __future__ import annotations

import random

import torch

from promptcraft.nn import Decoder, ModelConfig
from recipes.pc_tiny.packing import PackedRows, TrainingSample, pack_samples

VOCAB = 48
PAD, SEP, END = 0, 1, 2


def tiny_config(**overrides: object) -> ModelConfig:
    fields: dict[str, object] = {
        "family": "llama",
        "vocab_size": VOCAB,
        "dim": 32,
        "n_layers": 2,
        "n_heads": 4,
        "n_kv_heads": 2,
        "head_dim": 8,
        "hidden_dim": 64,
        "max_seq_len": 64,
        "norm_eps": 1e-5,
        "activation": "silu",
        "tie_word_embeddings": True,
        "eos_token_ids": [END],
        "pad_token_id": PAD,
    }
    fields.update(overrides)
    return ModelConfig(**fields)  # type: ignore[arg-type]


def tiny_model(seed: int = 0) -> Decoder:
    torch.manual_seed(seed)
    return Decoder(tiny_config())


def copy_task(n: int, seed: int) -> list[TrainingSample]:
    """``x1 .. xk SEP`` (prompt, weight 0) then ``x1 .. xk END`` (completion, weight 1)."""
    rng = random.Random(seed)
    samples = []
    for _ in range(n):
        xs = [rng.randrange(3, VOCAB) for _ in range(rng.randint(2, 6))]
        prompt, completion = [*xs, SEP], [*xs, END]
        samples.append(
            TrainingSample([*prompt, *completion], [0.0] * len(prompt) + [1.0] * len(completion))
        )
    return samples


def copy_rows(n: int, seed: int) -> PackedRows:
    return pack_samples(copy_task(n, seed), 33, pad_id=PAD, seed=seed)
