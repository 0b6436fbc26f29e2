"""Adapters: saved small with their metadata, loaded onto the right base model only."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from support.tuning import quick_tune

from promptcraft.backends.local import LocalBackend
from promptcraft.errors import AdapterError
from promptcraft.nn import Decoder
from promptcraft.nn.precision import Quantization
from promptcraft.nn.quantized import quantize_linears
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning import load_adapter, model_fingerprint
from promptcraft.tuning.methods import TuningMethod


def test_adapter_records_method_base_model_and_template(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    model = tiny_model()
    fingerprint = model_fingerprint(model)
    path = quick_tune("prompt", model, bundled_tokenizer, label_template, tmp_path / "a")
    info = load_adapter(path).info
    assert path.suffix == ".safetensors"
    assert (info.method, info.base_model_hash, info.template) == ("prompt", fingerprint, "label")
    assert info.trained_params == 4 * model.config.dim


@pytest.mark.parametrize(("method", "tensors"), [("prompt", 1), ("prefix", 4), ("ffn", 4)])
def test_adapter_holds_only_what_the_method_serves(
    method: TuningMethod,
    tensors: int,
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune(method, tiny_model(), bundled_tokenizer, label_template, tmp_path / method)
    assert len(load_adapter(path).tensors) == tensors  # prefix: keys + values of 2 layers


@pytest.mark.parametrize("method", ["prompt", "prefix", "ffn"])
def test_loaded_adapter_generates_as_the_tuned_model_did(
    method: TuningMethod,
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    tuned = tiny_model()
    path = quick_tune(method, tuned, bundled_tokenizer, label_template, tmp_path / method)
    backend = LocalBackend(tiny_model(), bundled_tokenizer)  # a fresh copy of the base
    backend.attach_adapter(path)
    reference = LocalBackend(tuned, bundled_tokenizer)
    if method != "ffn":  # the weight methods trained `tuned` in place; the others did not
        reference.attach_adapter(path)
    prompt = label_template.render(input="red cat")
    params = {"max_tokens": 4, "temperature": 0, "ignore_eos": True}
    assert backend.generate(prompt, **params).text == reference.generate(prompt, **params).text


def test_adapter_for_another_base_model_is_refused(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune(
        "prompt", tiny_model(seed=0), bundled_tokenizer, label_template, tmp_path / "a"
    )
    other = LocalBackend(tiny_model(seed=1), bundled_tokenizer)
    with pytest.raises(AdapterError, match="was trained on base model") as info:
        other.attach_adapter(path)
    assert info.value.path == str(path)


def test_adapter_on_a_quantised_model_asks_for_the_float_one(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("prompt", tiny_model(), bundled_tokenizer, label_template, tmp_path / "a")
    quantised = quantize_linears(tiny_model(), Quantization(bits=4))
    with pytest.raises(AdapterError, match=r"quantised weights .* load it in float32"):
        LocalBackend(quantised, bundled_tokenizer).attach_adapter(path)


def test_prefix_adapter_shortens_the_served_context(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    model = tiny_model()
    path = quick_tune("prefix", model, bundled_tokenizer, label_template, tmp_path / "p")
    backend = LocalBackend(model, bundled_tokenizer)
    backend.attach_adapter(path)
    assert backend.max_context == model.config.max_seq_len - 4
    assert backend.capabilities.max_context == backend.max_context
    assert backend.model == "local+p"


def test_file_that_is_not_an_adapter_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "weights.safetensors"
    path.write_bytes(b"not safetensors at all")
    with pytest.raises(AdapterError, match="not a safetensors file"):
        load_adapter(path)


def test_missing_adapter_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AdapterError, match="does not exist"):
        load_adapter(tmp_path / "missing.safetensors")


@pytest.mark.parametrize("method", ["prompt", "prefix"])
def test_same_seed_gives_the_same_adapter(
    method: TuningMethod,
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    first, second = (
        load_adapter(
            quick_tune(method, tiny_model(), bundled_tokenizer, label_template, tmp_path / n)
        )
        for n in ("a", "b")
    )
    assert first.tensors.keys() == second.tensors.keys()
    assert all(torch.equal(first.tensors[k], second.tensors[k]) for k in first.tensors)
