"""Reading config.json in the spellings of transformers 4.x and 5.x."""

from __future__ import annotations

import json
import shutil

import torch
from support.reference_models import Reference

from promptcraft.nn import load_model
from promptcraft.nn.loaders.hf_config import config_from_hf

LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "vocab_size": 100,
    "hidden_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 128,
    "max_position_embeddings": 512,
}


def test_legacy_rope_scaling_type_key_is_read() -> None:
    hf = {**LLAMA, "rope_theta": 500000.0, "rope_scaling": {"type": "linear", "factor": 2.0}}
    config = config_from_hf(hf, source="config.json")
    assert config.rope_theta == 500000.0
    assert config.rope_scaling is not None
    assert (config.rope_scaling.type, config.rope_scaling.factor) == ("linear", 2.0)


def test_transformers_5_rope_parameters_are_read() -> None:
    rope = {
        "rope_type": "llama3",
        "rope_theta": 1000.0,
        "factor": 8.0,
        "original_max_position_embeddings": 128,
    }
    config = config_from_hf({**LLAMA, "rope_parameters": rope}, source="config.json")
    assert config.rope_theta == 1000.0
    assert config.rope_scaling is not None and config.rope_scaling.type == "llama3"


def test_missing_kv_heads_means_multi_head_attention() -> None:
    assert config_from_hf(LLAMA, source="config.json").n_kv_heads == 4


def test_mistral_sliding_window_caps_the_context() -> None:
    hf = {**LLAMA, "architectures": ["MistralForCausalLM"], "sliding_window": 256}
    assert config_from_hf(hf, source="config.json").max_seq_len == 256


def test_generation_config_overrides_eos_and_accepts_a_list() -> None:
    config = config_from_hf(
        {**LLAMA, "eos_token_id": 1}, source="config.json", generation={"eos_token_id": [2, 3]}
    )
    assert config.eos_token_ids == [2, 3]


def test_tokenizer_post_processor_bos_sets_add_bos(reference, tmp_path) -> None:
    ref: Reference = reference("llama")
    target = tmp_path / "ckpt"
    shutil.copytree(ref.path, target)
    processor = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}],
    }
    (target / "tokenizer.json").write_text(json.dumps({"post_processor": processor}))
    model, _ = load_model(target)
    assert model.config.add_bos_token


def test_linear_rope_scaling_matches_transformers(reference, tmp_path) -> None:
    from transformers import AutoModelForCausalLM

    ref: Reference = reference("llama")
    target = tmp_path / "ckpt"
    shutil.copytree(ref.path, target)
    config = json.loads((target / "config.json").read_text())
    config["rope_parameters"] = {"rope_type": "linear", "factor": 4.0, "rope_theta": 10000.0}
    (target / "config.json").write_text(json.dumps(config))
    hf = AutoModelForCausalLM.from_pretrained(target).eval()
    ours, _ = load_model(target)
    ids = torch.arange(40).view(1, -1)
    with torch.no_grad():
        expected = hf(ids).logits
    with torch.inference_mode():
        torch.testing.assert_close(ours(ids), expected, atol=1e-4, rtol=0)
