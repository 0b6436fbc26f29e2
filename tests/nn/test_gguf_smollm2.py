"""The default model, SmolLM2-135M-Instruct as llama.cpp's Q4_1 GGUF file: our engine
answers a chat question exactly as transformers does on the same file."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from jinja2.sandbox import ImmutableSandboxedEnvironment

from promptcraft.nn import Generator, load_model

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::UserWarning")]

QUESTION = "What is the capital of France?"


def test_greedy_chat_answer_matches_transformers(smollm2_gguf: Path) -> None:
    from transformers import AutoModelForCausalLM

    ours, tokenizer = load_model(smollm2_gguf, dtype="float32")
    config = ours.config
    assert (config.n_layers, config.dim, config.n_heads, config.n_kv_heads) == (30, 576, 9, 3)
    assert config.tie_word_embeddings and config.rope_theta == 100000.0
    assert config.chat_template is not None
    # The file's template, rendered in a sandbox as the backends do.
    prompt = (
        ImmutableSandboxedEnvironment()
        .from_string(config.chat_template)
        .render(messages=[{"role": "user", "content": QUESTION}], add_generation_prompt=True)
    )
    ids = tokenizer.encode(prompt, allow_special=True)

    theirs = AutoModelForCausalLM.from_pretrained(
        smollm2_gguf.parent, gguf_file=smollm2_gguf.name, dtype=torch.float32
    ).eval()
    prompt_ids = torch.tensor([ids])
    with torch.no_grad():
        expected_logits = theirs(prompt_ids).logits
        expected = theirs.generate(
            prompt_ids, max_new_tokens=24, do_sample=False, eos_token_id=config.eos_token_ids
        )[0, len(ids) :].tolist()
    with torch.inference_mode():
        torch.testing.assert_close(ours(prompt_ids), expected_logits, atol=5e-4, rtol=0)
    out = Generator(ours, tokenizer).generate(ids, max_tokens=24, temperature=0)
    assert out.token_ids == expected
    assert "Paris" in out.text
