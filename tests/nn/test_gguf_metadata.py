"""What a GGUF file's metadata becomes: the model config, its special tokens and chat
template, RoPE scaling, the precision, and which file a model name loads."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch
from support.gguf_models import (
    CHAT_TEMPLATE,
    EOS,
    VOCAB,
    converter_tensors,
    llama3_rope_factors,
    random_hf_model,
    write_gguf,
)
from support.reference_models import Reference

from promptcraft.nn import load_model, save_model
from promptcraft.nn.catalog import resolve_model
from promptcraft.nn.loaders import load_decoder, open_source

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


@pytest.fixture(scope="module")
def models() -> dict[str, Any]:
    """A random transformers model per architecture (built once per module)."""
    return {arch: random_hf_model(arch) for arch in ("llama", "qwen2")}


def _write(models: dict[str, Any], path: Path, arch: str = "llama", **options: Any) -> Path:
    model = models[arch]
    return write_gguf(path, arch, model.config, converter_tensors(model, arch), **options)


def _prompt(n: int = 24) -> torch.Tensor:
    return torch.randint(0, 256, (1, n), generator=torch.Generator().manual_seed(5))


def test_llama_metadata_becomes_the_config(models, tmp_path) -> None:
    config = open_source(_write(models, tmp_path / "m.gguf")).config
    assert (config.family, config.n_layers, config.dim, config.hidden_dim) == ("llama", 2, 64, 128)
    assert (config.n_heads, config.n_kv_heads, config.head_dim) == (4, 2, 16)
    assert (config.max_seq_len, config.rope_theta, config.vocab_size) == (256, 10000.0, VOCAB)
    assert config.norm_eps == pytest.approx(1e-5)
    assert not config.tie_word_embeddings and not config.qkv_bias


def test_qwen2_has_qkv_biases_tied_embeddings_and_the_vocabulary_of_its_token_list(
    models, tmp_path
) -> None:
    config = open_source(_write(models, tmp_path / "m.gguf", "qwen2")).config
    assert config.qkv_bias and not config.out_bias
    assert config.tie_word_embeddings  # no output.weight in the file
    assert config.vocab_size == VOCAB  # qwen2 files carry no qwen2.vocab_size


def test_special_tokens_and_chat_template_come_from_the_tokenizer_keys(models, tmp_path) -> None:
    path = _write(
        models,
        tmp_path / "m.gguf",
        metadata={
            "tokenizer.ggml.eot_token_id": 258,
            "tokenizer.ggml.padding_token_id": 0,
            "tokenizer.ggml.add_bos_token": True,
        },
    )
    model, tokenizer = load_model(path)
    config = model.config
    assert config.bos_token_id == EOS and config.pad_token_id == 0
    assert config.eos_token_ids == [EOS, 258]  # end of text, then end of turn
    assert config.add_bos_token
    assert config.chat_template == CHAT_TEMPLATE
    assert tokenizer.eos_token_id == EOS


@pytest.mark.parametrize(("vocabulary", "adds_bos"), [("gpt2", False), ("llama", True)])
def test_without_add_bos_token_the_vocabulary_type_decides_as_in_llama_cpp(
    models, tmp_path, vocabulary: str, adds_bos: bool
) -> None:
    path = _write(
        models,
        tmp_path / "m.gguf",
        metadata={"tokenizer.ggml.model": vocabulary},
        drop=("tokenizer.ggml.add_bos_token",),
    )
    assert open_source(path).config.add_bos_token is adds_bos


def test_llama3_rope_frequency_factors_match_the_hf_checkpoint_with_llama3_scaling(
    reference, tmp_path
) -> None:
    ref: Reference = reference("llama")  # rope_scaling llama3, factor 8, original 32
    tensors = converter_tensors(ref.hf, "llama")
    tensors["rope_freqs.weight"] = llama3_rope_factors(ref.hf.config)
    path = write_gguf(tmp_path / "llama3.gguf", "llama", ref.hf.config, tensors)
    ids = _prompt(120)  # well past the original context of 32
    ours = load_decoder(path, dtype="float32")
    assert ours.config.rope_scaling is not None
    assert ours.config.rope_scaling.type == "frequency_factors"
    with torch.inference_mode():
        torch.testing.assert_close(ours(ids), ref.model(ids), atol=1e-4, rtol=0)
        del tensors["rope_freqs.weight"]
        plain = write_gguf(tmp_path / "plain.gguf", "llama", ref.hf.config, tensors)
        assert (load_decoder(plain)(ids) - ref.model(ids)).abs().max() > 1e-2  # it matters


def test_a_model_with_rope_frequency_factors_cannot_be_saved_as_config_json(
    reference, tmp_path
) -> None:
    ref: Reference = reference("llama")
    tensors = converter_tensors(ref.hf, "llama")
    tensors["rope_freqs.weight"] = llama3_rope_factors(ref.hf.config)
    model, tokenizer = load_model(write_gguf(tmp_path / "m.gguf", "llama", ref.hf.config, tensors))
    with pytest.raises(ValueError, match="per-frequency factors"):
        save_model(model, tokenizer, tmp_path / "saved")


def test_linear_rope_scaling_keys_match_transformers(tmp_path) -> None:
    scaled = random_hf_model("llama", rope_scaling={"rope_type": "linear", "factor": 2.0})
    path = write_gguf(
        tmp_path / "m.gguf",
        "llama",
        scaled.config,
        converter_tensors(scaled, "llama"),
        metadata={"llama.rope.scaling.type": "linear", "llama.rope.scaling.factor": 2.0},
    )
    ours = load_decoder(path, dtype="float32")
    ids = _prompt(100)
    with torch.inference_mode():
        torch.testing.assert_close(ours(ids), scaled(ids).logits, atol=1e-4, rtol=0)


def test_float32_is_the_default_precision_and_bfloat16_stays_close(models, tmp_path) -> None:
    path = _write(models, tmp_path / "m.gguf", kind="Q8_0")
    full, low = load_decoder(path), load_decoder(path, dtype="bfloat16")
    assert (full.dtype, low.dtype) == (torch.float32, torch.bfloat16)
    ids = _prompt()
    with torch.inference_mode():
        assert (low(ids).float() - full(ids)).abs().max() < 0.25


@pytest.mark.parametrize(
    ("kind", "dtype"),
    [("F32", torch.float32), ("F16", torch.float16), ("Q4_0", torch.float32)],
)
def test_auto_precision_is_the_files_own_float_type(models, tmp_path, kind, dtype) -> None:
    assert load_decoder(_write(models, tmp_path / "m.gguf", kind=kind), dtype="auto").dtype == dtype


def test_a_gguf_model_saves_as_a_checkpoint_that_loads_back_identically(models, tmp_path) -> None:
    model, tokenizer = load_model(_write(models, tmp_path / "m.gguf", kind="Q4_0"), dtype="fp32")
    save_model(model, tokenizer, tmp_path / "saved")
    again, tokenizer_again = load_model(tmp_path / "saved")
    ids = _prompt()
    with torch.inference_mode():
        assert torch.equal(again(ids), model(ids))
    assert again.config == model.config
    assert tokenizer_again.encode("the text") == tokenizer.encode("the text")


def test_no_path_opens_the_default_model_and_names_open_catalog_models(smollm2_gguf) -> None:
    assert open_source(None).path == resolve_model(None) == smollm2_gguf
    assert open_source("pc-tiny").path == resolve_model("pc-tiny")


def test_rope_factors_of_one_mean_no_scaling(models, tmp_path) -> None:
    model = models["llama"]
    tensors = converter_tensors(model, "llama")
    tensors["rope_freqs.weight"] = np.ones(8, np.float32)
    path = write_gguf(tmp_path / "m.gguf", "llama", model.config, tensors)
    assert open_source(path).config.rope_scaling is None
