"""Loading checkpoints: accepted variants, and one clear ModelLoadError for each bad input."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file
from support.reference_models import Reference

from promptcraft.errors import ModelLoadError
from promptcraft.nn import load_model


@pytest.fixture
def checkpoint(reference, tmp_path: Path) -> Path:
    """A private copy of the Llama reference checkpoint, free to damage."""
    ref: Reference = reference("llama")
    target = tmp_path / "ckpt"
    shutil.copytree(ref.path, target)
    return target


def _edit_config(path: Path, **changes: object) -> None:
    config = json.loads((path / "config.json").read_text())
    config.update(changes)
    (path / "config.json").write_text(json.dumps(config))


def _edit_weights(path: Path, edit) -> None:  # type: ignore[no-untyped-def]
    tensors = load_file(path / "model.safetensors")
    edit(tensors)
    save_file(tensors, path / "model.safetensors", metadata={"format": "pt"})


def test_missing_directory_names_the_path(tmp_path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist") as info:
        load_model(tmp_path / "nope")
    assert info.value.path == str(tmp_path / "nope")


def test_missing_config_names_the_file(checkpoint) -> None:
    (checkpoint / "config.json").unlink()
    with pytest.raises(ModelLoadError, match=r"config\.json is missing"):
        load_model(checkpoint)


def test_invalid_json_names_file_and_line(checkpoint) -> None:
    (checkpoint / "config.json").write_text('{\n  "architectures": [\n')
    with pytest.raises(ModelLoadError, match=r"config\.json:3: invalid JSON"):
        load_model(checkpoint)


def test_unknown_architecture_lists_the_supported_ones(checkpoint) -> None:
    _edit_config(checkpoint, architectures=["FalconForCausalLM"])
    with pytest.raises(
        ModelLoadError, match=r"unsupported architecture 'FalconForCausalLM'.*Llama"
    ):
        load_model(checkpoint)


def test_config_value_out_of_range_names_the_config_json_keys(checkpoint) -> None:
    _edit_config(checkpoint, num_key_value_heads=3)
    with pytest.raises(
        ModelLoadError,
        match=r"config\.json: num_attention_heads \(4\) must be a multiple of "
        r"num_key_value_heads \(3\)",
    ):
        load_model(checkpoint)


def test_negative_vocab_size_is_rejected(checkpoint) -> None:
    _edit_config(checkpoint, vocab_size=-5)
    with pytest.raises(ModelLoadError, match="vocab_size"):
        load_model(checkpoint)


def test_unsupported_rope_scaling_is_rejected(checkpoint) -> None:
    _edit_config(checkpoint, rope_parameters={"rope_type": "yarn", "factor": 4.0})
    with pytest.raises(ModelLoadError, match=r"rope_parameters\.rope_type 'yarn' is not supported"):
        load_model(checkpoint)


def test_missing_weights_file_is_reported(checkpoint) -> None:
    (checkpoint / "model.safetensors").unlink()
    with pytest.raises(ModelLoadError, match=r"expected model\.safetensors"):
        load_model(checkpoint)


def test_shape_mismatch_names_the_tensor(checkpoint) -> None:
    name = "model.layers.1.mlp.up_proj.weight"
    _edit_weights(checkpoint, lambda t: t.update({name: torch.zeros(95, 64)}))
    with pytest.raises(ModelLoadError, match=r"has shape \[95, 64\].*implies \[96, 64\]") as info:
        load_model(checkpoint)
    assert info.value.tensor == name


def test_missing_tensor_names_the_tensor(checkpoint) -> None:
    name = "model.layers.0.self_attn.k_proj.weight"
    _edit_weights(checkpoint, lambda t: t.pop(name))
    with pytest.raises(ModelLoadError, match="is missing") as info:
        load_model(checkpoint)
    assert info.value.tensor == name


def test_unexpected_tensor_names_the_tensor(checkpoint) -> None:
    name = "model.layers.2.input_layernorm.weight"  # a third layer the config does not have
    _edit_weights(checkpoint, lambda t: t.update({name: torch.ones(64)}))
    with pytest.raises(ModelLoadError, match="unexpected tensor") as info:
        load_model(checkpoint)
    assert info.value.tensor == name


def test_truncated_weights_file_is_reported(checkpoint) -> None:
    weights = checkpoint / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    with pytest.raises(ModelLoadError, match="truncated or corrupt") as info:
        load_model(checkpoint)
    assert info.value.path == str(weights)


def test_garbage_weights_file_is_reported(checkpoint) -> None:
    (checkpoint / "model.safetensors").write_bytes(b"\x00not a safetensors file")
    with pytest.raises(ModelLoadError, match="truncated or corrupt"):
        load_model(checkpoint)


def test_missing_tokenizer_is_a_model_load_error(checkpoint) -> None:
    for name in ("tokenizer.tiktoken", "tiktoken_config.json"):
        (checkpoint / name).unlink()
    with pytest.raises(ModelLoadError, match="cannot load the tokenizer"):
        load_model(checkpoint)


def test_sharded_checkpoint_loads(checkpoint, reference) -> None:
    tensors = load_file(checkpoint / "model.safetensors")
    names = sorted(tensors)
    halves = {
        "model-00001-of-00002.safetensors": names[::2],
        "model-00002-of-00002.safetensors": names[1::2],
    }
    weight_map = {}
    for file, part in halves.items():
        save_file({n: tensors[n] for n in part}, checkpoint / file, metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(part, file))
    (checkpoint / "model.safetensors").unlink()
    index = {"metadata": {}, "weight_map": weight_map}
    (checkpoint / "model.safetensors.index.json").write_text(json.dumps(index))
    model, _ = load_model(checkpoint)
    ids = torch.tensor([[1, 2, 3]])
    with torch.inference_mode():
        torch.testing.assert_close(model(ids), reference("llama").model(ids))


def test_missing_shard_is_reported(checkpoint) -> None:
    tensors = load_file(checkpoint / "model.safetensors")
    save_file(tensors, checkpoint / "model-00001-of-00002.safetensors", metadata={"format": "pt"})
    (checkpoint / "model.safetensors").unlink()
    weight_map = dict.fromkeys(tensors, "model-00001-of-00002.safetensors")
    weight_map["lm_head.weight"] = "model-00002-of-00002.safetensors"
    (checkpoint / "model.safetensors.index.json").write_text(json.dumps({"weight_map": weight_map}))
    with pytest.raises(ModelLoadError, match=r"model-00002-of-00002\.safetensors is listed"):
        load_model(checkpoint)


def test_gpt2_loads_without_prefix_and_with_stored_mask_buffers(reference, tmp_path) -> None:
    ref: Reference = reference("gpt2")
    target = tmp_path / "gpt2"
    shutil.copytree(ref.path, target)

    def strip_prefix_and_add_buffers(tensors: dict[str, torch.Tensor]) -> None:
        for name in list(tensors):
            tensors[name.removeprefix("transformer.")] = tensors.pop(name)
        tensors["h.0.attn.bias"] = torch.ones(1, 1, 128, 128)  # old GPT-2 checkpoints store these
        tensors["h.0.attn.masked_bias"] = torch.tensor(-1e4)

    _edit_weights(target, strip_prefix_and_add_buffers)
    model, _ = load_model(target)
    ids = torch.tensor([[5, 6, 7]])
    with torch.inference_mode():
        torch.testing.assert_close(model(ids), ref.model(ids))


def test_bundled_model_missing_says_how_to_restore(monkeypatch, tmp_path) -> None:
    import promptcraft.nn.catalog as catalog

    monkeypatch.setattr(catalog, "bundled_models_dir", lambda: tmp_path)
    with pytest.raises(
        ModelLoadError, match=r"bundled model pc-tiny is missing.*git checkout -- models/"
    ):
        load_model("pc-tiny")


def test_unknown_dtype_is_rejected(checkpoint) -> None:
    with pytest.raises(ValueError, match="unknown dtype 'float8'"):
        load_model(checkpoint, dtype="float8")
