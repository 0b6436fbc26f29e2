"""Damaged and hostile GGUF files: each is one ModelLoadError that names the file and the
tensor or metadata key at fault, never a NumPy traceback or a half-loaded model."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import gguf
import numpy as np
import pytest
from support.gguf_models import Shape, converter_tensors, random_hf_model, write_gguf

from promptcraft.errors import ModelLoadError
from promptcraft.nn import load_model

# ffn_down rows are 256 long: room for the 256-value blocks of Q2_K and IQ2_XXS
SHAPE = Shape(dim=64, hidden=256, layers=2)


@pytest.fixture(scope="module")
def llama() -> tuple[Any, dict[str, np.ndarray]]:
    model = random_hf_model("llama", SHAPE)
    return model.config, converter_tensors(model, "llama")


@pytest.fixture
def write(llama, tmp_path: Path):  # type: ignore[no-untyped-def]
    """``write(**options)``: a llama GGUF file with some damage (see ``write_gguf``)."""
    config, tensors = llama

    def build(kind: str = "F32", tensors_edit: Any = None, **options: Any) -> Path:
        chosen = dict(tensors)
        if tensors_edit is not None:
            tensors_edit(chosen)
        return write_gguf(tmp_path / "model.gguf", "llama", config, chosen, kind, **options)

    return build


def _load_error(path: Path) -> ModelLoadError:
    with pytest.raises(ModelLoadError) as info:
        load_model(path)
    assert info.value.path == str(path)
    return info.value


def test_the_undamaged_file_loads(write) -> None:
    model, _ = load_model(write())
    assert model.config.n_layers == 2


@pytest.mark.parametrize("where", ["magic", "version", "metadata", "tensor info", "data", "end"])
def test_a_truncated_file_names_the_file(write, where: str) -> None:
    path = write()
    data = path.read_bytes()
    data_start = gguf.GGUFReader(path).data_offset
    cut = {
        "magic": 2,
        "version": 6,
        "metadata": data_start // 3,
        "tensor info": data_start - 40,
        "data": data_start + (len(data) - data_start) // 2,
        "end": len(data) - 1,
    }[where]
    path.write_bytes(data[:cut])
    error = _load_error(path)
    if where in ("data", "end"):
        assert error.tensor is not None and f"tensor {error.tensor!r}" in str(error)
        assert "truncated" in str(error)


def test_a_file_that_is_not_gguf_says_so(tmp_path: Path) -> None:
    path = tmp_path / "model.gguf"
    path.write_text("not a model")
    assert "is not a GGUF file" in str(_load_error(path))


@pytest.mark.parametrize("kind", ["Q2_K", "IQ2_XXS"])
def test_an_unsupported_tensor_type_names_the_tensor_and_the_supported_types(
    write, kind: str
) -> None:
    name = "blk.1.ffn_down.weight"
    qtype = gguf.GGMLQuantizationType[kind]
    block, size = gguf.GGML_QUANT_SIZES[qtype]
    raw = np.zeros((SHAPE.dim, SHAPE.hidden // block * size), dtype=np.uint8)

    path = write(
        tensors_edit=lambda t: t.pop(name),
        edit=lambda writer: writer.add_tensor(name, raw, raw_dtype=qtype),
    )
    error = _load_error(path)
    assert error.tensor == name
    assert f"has tensor type {kind}, which promptcraft cannot dequantize" in str(error)
    assert "supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K, Q5_K, Q6_K" in str(error)


def test_a_tensor_type_unknown_to_gguf_names_the_tensor(write) -> None:
    path, name = write(), b"blk.1.ffn_up.weight"
    data = bytearray(path.read_bytes())
    at = data.index(name) + len(name)  # then: n_dims (u32), dims (u64 each), type (u32)
    (n_dims,) = struct.unpack_from("<I", data, at)
    struct.pack_into("<I", data, at + 4 + 8 * n_dims, 99)
    path.write_bytes(bytes(data))
    error = _load_error(path)
    assert error.tensor == name.decode()
    assert "tensor type 99" in str(error)


def test_an_unknown_architecture_lists_the_supported_ones(write) -> None:
    error = _load_error(write(metadata={"general.architecture": "falcon"}))
    assert "unsupported architecture 'falcon'" in str(error)
    assert "supported: gpt2, llama, qwen2" in str(error)


def test_a_missing_key_is_named(write) -> None:
    error = _load_error(write(drop=("llama.block_count",)))
    assert str(error).endswith("metadata key 'llama.block_count' is missing (llama needs it)")


def test_a_key_of_the_wrong_type_is_named(write) -> None:
    error = _load_error(write(metadata={"llama.embedding_length": "64"}))
    assert "metadata key 'llama.embedding_length' is '64', expected int" in str(error)


def test_head_counts_that_do_not_divide_are_named(write) -> None:
    error = _load_error(write(metadata={"llama.attention.head_count_kv": 3}))
    assert (
        "metadata key 'llama.attention.head_count' (4) must be a multiple of "
        "'llama.attention.head_count_kv' (3)" in str(error)
    )


def test_an_unsupported_rope_scaling_is_named(write) -> None:
    error = _load_error(write(metadata={"llama.rope.scaling.type": "yarn"}))
    assert "metadata key 'llama.rope.scaling.type' is 'yarn', which is not supported" in str(error)


def test_a_token_id_outside_the_vocabulary_is_named(write) -> None:
    error = _load_error(write(metadata={"tokenizer.ggml.eos_token_id": 5000}))
    assert "metadata key 'tokenizer.ggml.eos_token_id' is 5000, outside the vocabulary" in str(
        error
    )


def test_a_tensor_of_the_wrong_shape_names_it_and_the_key(write) -> None:
    name = "blk.1.ffn_up.weight"
    path = write(tensors_edit=lambda t: t.update({name: np.zeros((200, 64), np.float32)}))
    error = _load_error(path)
    assert error.tensor == name
    assert (
        "has shape [200, 64], but the GGUF metadata implies [256, 64] "
        "(256 = llama.feed_forward_length)" in str(error)
    )


def test_a_missing_tensor_is_named_as_gguf_names_it(write) -> None:
    error = _load_error(write(tensors_edit=lambda t: t.pop("blk.0.attn_k.weight")))
    assert error.tensor == "blk.0.attn_k.weight"
    assert "is missing" in str(error)


def test_an_unexpected_tensor_is_named(write) -> None:
    extra = "blk.0.attn_q_norm.weight"
    error = _load_error(write(tensors_edit=lambda t: t.update({extra: np.ones(16, np.float32)})))
    assert error.tensor == extra
    assert "unexpected tensor" in str(error)


def test_more_blocks_in_the_metadata_than_in_the_file_names_block_count(write) -> None:
    error = _load_error(write(metadata={"llama.block_count": 10**9}))
    assert "llama.block_count is 1000000000, but the weights (model.gguf) hold 2 layers" in str(
        error
    )


def test_a_context_too_long_to_allocate_names_context_length(write) -> None:
    error = _load_error(write(metadata={"llama.context_length": 10**17}))
    assert "llama.context_length is 100000000000000000" in str(error)
    assert "could not be allocated" in str(error)


@pytest.mark.parametrize("kind", ["F32", "Q8_0"])
def test_nan_weights_are_refused_naming_the_tensor(write, kind: str) -> None:
    name = "blk.1.attn_v.weight"

    def poison(tensors: dict[str, np.ndarray]) -> None:
        tensors[name] = tensors[name].copy()
        tensors[name][3, 4] = np.nan

    with np.errstate(invalid="ignore"):  # quantising a NaN
        path = write(kind, tensors_edit=poison)
    error = _load_error(path)
    assert error.tensor == name
    assert "NaN or infinite values" in str(error)


def test_rope_frequency_factors_of_the_wrong_length_are_named(write) -> None:
    factors = np.ones(5, np.float32)
    error = _load_error(write(tensors_edit=lambda t: t.update({"rope_freqs.weight": factors})))
    assert error.tensor == "rope_freqs.weight"
    assert "expected [8]" in str(error)
