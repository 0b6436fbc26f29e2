"""Fixtures of the training tests: a tiny Llama-style decoder and a toy task to learn."""

from __future__ import annotations

import pytest
import torch

from promptcraft.tokenizers.tokenizer import Tokenizer


@pytest.fixture(autouse=True)
def _one_thread() -> None:
    torch.set_num_threads(1)  # the machine is shared; also makes runs bitwise repeatable


@pytest.fixture(scope="session")
def curriculum_tokenizer() -> Tokenizer:
    """A small BPE learned from curriculum text, with the chat special tokens."""
    from recipes.pc_tiny.training_data import train_curriculum_tokenizer

    return train_curriculum_tokenizer(400, corpus_samples=200, seed=1, name="pc-test")
