"""The bundled-model recipe's pieces: loss weights from curriculum samples, and a saved
model directory that loads back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from promptcraft.nn import Decoder, load_model, save_model
from promptcraft.tokenizers.tokenizer import Tokenizer
from recipes.pc_tiny import CHAT_TEMPLATE, END_OF_TURN, EOS_TOKEN, generate_samples
from recipes.pc_tiny.recipe import ModelShape, model_config
from recipes.pc_tiny.training_data import to_training_sample


@pytest.fixture
def tokenizer(curriculum_tokenizer: Tokenizer) -> Tokenizer:
    return curriculum_tokenizer


def test_prompt_tokens_get_the_prompt_weight_and_completion_tokens_one(
    tokenizer: Tokenizer,
) -> None:
    sample = next(generate_samples(1, seed=0, kinds=["prefix"]))
    trained = to_training_sample(sample, tokenizer, prompt_weight=0.0)
    n_prompt = len(tokenizer.encode(sample.prompt, allow_special=True))
    assert set(trained.weights[:n_prompt]) == {0.0}
    assert set(trained.weights[n_prompt:]) == {1.0}
    assert tokenizer.decode(trained.tokens[n_prompt:-1]) == sample.completion
    assert trained.tokens[-1] == tokenizer.token_id(EOS_TOKEN)


def test_tool_observations_are_not_trained(tokenizer: Tokenizer) -> None:
    sample = next(generate_samples(1, seed=0, kinds=["tool"]))
    trained = to_training_sample(sample, tokenizer)
    frozen = [t for t, w in zip(trained.tokens, trained.weights, strict=True) if w == 0]
    observation = next(s.text for s in sample.segments[2:] if not s.trainable)
    assert observation in tokenizer.decode(frozen)


def test_chat_markers_are_single_special_tokens(tokenizer: Tokenizer) -> None:
    ids = tokenizer.encode(f"hi{END_OF_TURN}", allow_special=True)
    assert ids[-1] == tokenizer.token_id(END_OF_TURN)
    assert tokenizer.encode(END_OF_TURN) != [tokenizer.token_id(END_OF_TURN)]  # unforgeable


def test_saved_bundled_layout_reloads_with_same_logits(
    tokenizer: Tokenizer, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    shape = ModelShape(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, hidden_dim=64, context=64)
    model = Decoder(model_config(shape, tokenizer)).eval()
    save_model(model, tokenizer, tmp_path)
    loaded, loaded_tokenizer = load_model(tmp_path)
    ids = torch.tensor([tokenizer.encode("Sort the words: cat ant")])
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids), model(ids))
    assert loaded_tokenizer.eos_token_id == tokenizer.token_id(EOS_TOKEN)
    assert loaded.config.eos_token_ids == [
        tokenizer.token_id(EOS_TOKEN),
        tokenizer.token_id(END_OF_TURN),
    ]
    tokenizer_config = json.loads((tmp_path / "tokenizer_config.json").read_text())
    assert tokenizer_config["chat_template"] == CHAT_TEMPLATE
