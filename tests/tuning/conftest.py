"""Fixtures of the tuning tests: a tiny random decoder for the mechanics, the bundled model
for learning, and an easy task (a fixed label per colour word, not shown in the prompt)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from promptcraft.nn import Decoder, ModelConfig, load_model
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizer import Tokenizer


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    torch.set_num_threads(1)  # the machine is shared: more threads than free cores spin-wait


@pytest.fixture(scope="session")
def bundled_tokenizer() -> Tokenizer:
    return load_model()[1]


@pytest.fixture
def tiny_model(bundled_tokenizer: Tokenizer) -> Callable[..., Decoder]:
    """``tiny_model(seed=0)``: a 2-layer random decoder over the bundled tokenizer."""
    eos = bundled_tokenizer.eos_token_id
    assert eos is not None

    def build(seed: int = 0) -> Decoder:
        torch.manual_seed(seed)
        config = ModelConfig(
            family="llama",
            vocab_size=bundled_tokenizer.n_vocab,
            dim=32,
            n_layers=2,
            n_heads=4,
            n_kv_heads=2,
            head_dim=8,
            hidden_dim=64,
            max_seq_len=96,
            norm_eps=1e-5,
            activation="silu",
            tie_word_embeddings=True,
            eos_token_ids=[eos],
            pad_token_id=eos,
        )
        return Decoder(config).eval()

    return build


@pytest.fixture
def label_template() -> PrefixPrompt:
    return PrefixPrompt(input_label="Item", output_label="Tag", name="label")
