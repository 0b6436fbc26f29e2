"""An adapter file that was damaged, edited, or made for another model is refused, naming
what is wrong, and never half-applied."""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import save_file
from support.tuning import quick_tune

from promptcraft.backends.local import LocalBackend
from promptcraft.errors import AdapterError
from promptcraft.nn import Decoder
from promptcraft.nn.adapters import save_adapter
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning import load_adapter


def _relabel(path: Path, target: Path, **fields: Any) -> Path:
    """A copy of the adapter at ``path`` with some metadata fields changed."""
    with safe_open(str(path), framework="pt") as handle:
        metadata = json.loads(handle.metadata()["promptcraft"])
        tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    metadata.update(fields)
    save_file(tensors, str(target), metadata={"promptcraft": json.dumps(metadata)})
    return target


def test_adapter_whose_bytes_changed_is_refused_as_corrupt(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("prompt", tiny_model(), bundled_tokenizer, label_template, tmp_path / "a")
    data = bytearray(path.read_bytes())
    data[-4:] = b"\x00\x00\x80\x3f"  # the last float of the embeddings, now 1.0
    path.write_bytes(bytes(data))
    with pytest.raises(AdapterError, match="is corrupt: its tensors do not match") as info:
        load_adapter(path)
    assert info.value.path == str(path)


def test_adapter_for_a_base_model_of_another_configuration_names_the_field(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    base = tiny_model()
    path = quick_tune("prefix", base, bundled_tokenizer, label_template, tmp_path / "p")
    other = Decoder(base.config.model_copy(update={"norm_eps": 1e-3}))
    other.load_state_dict(base.state_dict())  # the same weights, computing otherwise
    with pytest.raises(AdapterError, match=r"another configuration: norm_eps 1e-05 \(here 0.001\)"):
        LocalBackend(other.eval(), bundled_tokenizer).attach_adapter(path)


def test_adapter_whose_tensors_are_not_its_methods_is_refused(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("prefix", tiny_model(), bundled_tokenizer, label_template, tmp_path / "p")
    relabelled = _relabel(path, tmp_path / "r.safetensors", method="prompt")
    with pytest.raises(AdapterError, match="says its method is 'prompt' but lacks") as info:
        LocalBackend(tiny_model(), bundled_tokenizer).attach_adapter(relabelled)
    assert info.value.tensor == "prompt.embeddings"


def test_adapter_with_non_finite_values_is_refused_naming_the_tensor(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("prompt", tiny_model(), bundled_tokenizer, label_template, tmp_path / "a")
    adapter = load_adapter(path)
    broken = {"prompt.embeddings": torch.full_like(adapter.tensors["prompt.embeddings"], torch.nan)}
    save_adapter(path, broken, adapter.info)
    with pytest.raises(AdapterError, match="NaN or infinite") as info:
        load_adapter(path)
    assert info.value.tensor == "prompt.embeddings"


def test_weight_adapter_with_a_misshapen_tensor_leaves_the_model_unchanged(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("ffn", tiny_model(), bundled_tokenizer, label_template, tmp_path / "f")
    adapter = load_adapter(path)
    first, *rest = sorted(adapter.tensors)
    tensors = {first: adapter.tensors[first]}  # fits; every later one does not
    tensors.update({name: adapter.tensors[name][:1] for name in rest})
    save_adapter(path, tensors, adapter.info)
    fresh = tiny_model()
    before = {n: p.detach().clone() for n, p in fresh.named_parameters()}
    with pytest.raises(AdapterError, match="has shape"):
        LocalBackend(fresh, bundled_tokenizer).attach_adapter(path)
    assert all(p.equal(before[n]) for n, p in fresh.named_parameters())


def test_adapter_metadata_error_is_one_line_naming_the_field(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    path = quick_tune("prompt", tiny_model(), bundled_tokenizer, label_template, tmp_path / "a")
    relabelled = _relabel(path, tmp_path / "r.safetensors", method="lora")
    with pytest.raises(AdapterError, match="malformed metadata: method: ") as info:
        load_adapter(relabelled)
    assert "\n" not in str(info.value)


def test_an_adapter_file_takes_the_process_umask(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    """Other users (a server's account) can read what ``tune`` wrote, as with any file."""
    previous = os.umask(0o022)
    try:
        path = quick_tune("prompt", tiny_model(), bundled_tokenizer, label_template, tmp_path / "a")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_a_saved_checkpoint_takes_the_process_umask(
    tmp_path: Path, tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    from promptcraft.nn import save_model

    previous = os.umask(0o027)
    try:
        save_model(tiny_model(), bundled_tokenizer, tmp_path / "model")
    finally:
        os.umask(previous)
    assert stat.S_IMODE((tmp_path / "model" / "model.safetensors").stat().st_mode) == 0o640
