"""A fingerprint of pc-tiny's recipe: the losses of a tiny seeded pretraining run and digests
of its weights and of the curriculum's text. Two checkouts that print the same lines train
pc-tiny identically.

    python benchmarks/recipe_fingerprint.py
    PYTHONPATH=/path/to/older/checkout python benchmarks/recipe_fingerprint.py   # compare

Issue 22 moved the recipe out of the package (``promptcraft.curriculum`` and
``promptcraft.nn.train`` became ``recipes.pc_tiny``) and shared its training step with tuning;
both checkouts printed the same fingerprint.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import random
import sys
from pathlib import Path
from typing import Any

import torch

sys.path.append(str(Path(__file__).resolve().parents[1]))  # recipes/ is not installed

from promptcraft.nn import Decoder, ModelConfig


def _module(new: str, old: str) -> Any:
    """The recipe's module where this checkout keeps it: inside the package before issue 22
    (tried first, so an older checkout never mixes in this one's recipes/), recipes/ after."""
    try:
        return importlib.import_module(old)
    except ImportError:
        return importlib.import_module(new)


def tiny_run() -> tuple[list[list[float]], str]:
    packing = _module("recipes.pc_tiny.packing", "promptcraft.nn.packing")
    train = _module("recipes.pc_tiny.train", "promptcraft.nn.train")
    rng = random.Random(0)
    samples = []
    for _ in range(220):
        xs = [rng.randrange(3, 48) for _ in range(rng.randint(2, 6))]
        prompt, answer = [*xs, 1], [*xs, 2]
        weights = [0.0] * len(prompt) + [1.0] * len(answer)
        samples.append(packing.TrainingSample([*prompt, *answer], weights))
    rows = packing.pack_samples(samples[:200], 32, pad_id=0)
    heldout = packing.pack_samples(samples[200:], 32, pad_id=0)
    torch.manual_seed(0)
    config = ModelConfig(
        family="llama", vocab_size=48, dim=32, n_layers=2, n_heads=4, n_kv_heads=2, head_dim=8,
        hidden_dim=64, max_seq_len=64, norm_eps=1e-5, activation="silu",
        tie_word_embeddings=True, eos_token_ids=[2], pad_token_id=0,
    )  # fmt: skip
    model = Decoder(config)
    settings = train.TrainConfig(
        max_steps=30, warmup_steps=5, batch_rows=4, eval_every=10, progress=False
    )
    history = train.Trainer(model, rows, settings, heldout=heldout).train()
    digest = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        digest.update(name.encode() + tensor.detach().numpy().tobytes())
    losses = [[r.step, r.loss, r.eval_loss] for r in history if r.eval_loss is not None]
    return losses, digest.hexdigest()[:16]


def curriculum_digest(n: int = 4000) -> str:
    curriculum = _module("recipes.pc_tiny", "promptcraft.curriculum")
    digest = hashlib.sha256()
    for sample in curriculum.generate_samples(n, seed=0, split="train"):
        for segment in sample.segments:
            digest.update(repr((segment.text, segment.trainable)).encode())
    return digest.hexdigest()[:16]


def main() -> None:
    torch.set_num_threads(1)
    losses, weights = tiny_run()
    print("losses (step, train, held-out):", json.dumps(losses))
    print("weights sha256:", weights)
    print("curriculum (4,000 train samples) sha256:", curriculum_digest())


if __name__ == "__main__":
    main()
