"""What a checkpoint's safetensors files hold, checked against its config.json before any
weight is read: every tensor's name, shape and dtype, and the number of blocks. A bad
checkpoint fails with one error that names the file, the tensor and the config.json key
to look at, never half-loaded.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from ..errors import ModelLoadError
from .config import ModelConfig
from .hf_config import hf_key
from .hf_weights import IGNORED_SUFFIXES, Piece, strip_gpt2_prefix
from .json_keys import read_json_file

__all__ = [
    "INDEX_FILE",
    "WEIGHTS_FILE",
    "StoredTensor",
    "check_finite",
    "check_layer_count",
    "check_names_and_shapes",
    "index_tensors",
]

WEIGHTS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
# safetensors dtype names the loader can convert to the model's dtype without changing values
# (integer, boolean and 8-bit float tensors are quantized weights or a corrupt file).
_FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")
# The block a checkpoint tensor belongs to: "model.layers.3." (Llama) or "h.3." (GPT-2).
_LAYER_NAME = re.compile(r"(?:model\.layers|h)\.(\d+)\.")


@dataclass(frozen=True)
class StoredTensor:
    """One tensor of a weights file, as its header describes it."""

    file: Path
    name: str  # as stored in the file
    shape: tuple[int, ...]
    dtype: str  # safetensors' name: "F32", "BF16", "I8", ...


def index_tensors(directory: Path) -> dict[str, StoredTensor]:
    """Name → where it is stored, for every tensor of every weights file (headers only)."""
    single, index = directory / WEIGHTS_FILE, directory / INDEX_FILE
    if index.is_file():
        weight_map = read_json_file(index).get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise ModelLoadError(f"{index}: no 'weight_map' object", path=str(index))
        files = sorted({directory / str(f) for f in weight_map.values()})
    elif single.is_file():
        weight_map, files = None, [single]
    else:
        raise ModelLoadError(
            f"no weights in {directory}: expected {WEIGHTS_FILE} or {INDEX_FILE} (only "
            "safetensors checkpoints are supported; convert .bin files with transformers)",
            path=str(directory),
        )
    found: dict[str, StoredTensor] = {}
    for file in files:
        if not file.is_file():
            raise ModelLoadError(f"{file} is listed in {index} but missing", path=str(file))
        try:
            with safe_open(str(file), framework="pt") as handle:
                for name in handle.keys():  # noqa: SIM118 - safe_open is not a dict
                    piece = handle.get_slice(name)
                    shape, dtype = tuple(piece.get_shape()), str(piece.get_dtype())
                    found[_normal_name(name)] = StoredTensor(file, name, shape, dtype)
        except (SafetensorError, OSError) as exc:
            raise ModelLoadError(
                f"{file} is not a readable safetensors file (truncated or corrupt?): {exc}",
                path=str(file),
            ) from None
    if weight_map is not None:
        for name, file_name in weight_map.items():
            if _normal_name(name) not in found:
                raise ModelLoadError(
                    f"{index} lists tensor {name!r} in {file_name}, which does not hold it",
                    path=str(index),
                    tensor=name,
                )
    return found


def _normal_name(name: str) -> str:
    return strip_gpt2_prefix(name)


def check_layer_count(
    config: ModelConfig, tensors: dict[str, StoredTensor], directory: Path
) -> None:
    """config.json must not state more blocks than the weights hold (checked first: a
    mistyped layer count must not build the layout of a million layers). Fewer is caught
    by the names check, which names the first tensor no block takes."""
    stored = {int(m[1]) for name in tensors if (m := _LAYER_NAME.match(name))}
    count = max(stored) + 1 if stored else 0
    if count < config.n_layers:
        source = directory / "config.json"
        files = sorted({t.file.name for t in tensors.values()})
        raise ModelLoadError(
            f"{source}: {hf_key(config, 'n_layers')} is {config.n_layers}, but the weights "
            f"({', '.join(files) or 'none'}) hold {count} layers; does config.json belong to "
            "these weights?",
            path=str(source),
        )


def check_names_and_shapes(
    layout: list[Piece], tensors: dict[str, StoredTensor], config: ModelConfig
) -> None:
    expected = {name: shape for piece in layout for name, shape in piece.sources}
    for name, stored in tensors.items():
        if name in expected:
            if stored.dtype not in _FLOAT_DTYPES:
                raise ModelLoadError(
                    f"{stored.file}: tensor {stored.name!r} holds {stored.dtype} values, not "
                    f"floating-point weights ({', '.join(_FLOAT_DTYPES)}): quantized "
                    "checkpoints are not supported, and any other dtype means a corrupt file",
                    path=str(stored.file),
                    tensor=stored.name,
                )
            if stored.shape != expected[name]:
                raise ModelLoadError(
                    f"{stored.file}: tensor {stored.name!r} has shape {list(stored.shape)}, "
                    f"but config.json implies {list(expected[name])}"
                    + _shape_keys(config, stored.shape, expected[name]),
                    path=str(stored.file),
                    tensor=stored.name,
                )
        elif name.endswith(IGNORED_SUFFIXES):
            continue
        elif name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # some checkpoints store the tied head anyway; it equals the embedding
        else:
            raise ModelLoadError(
                f"{stored.file}: unexpected tensor {stored.name!r} for a {config.family} model "
                f"with {hf_key(config, 'n_layers')}={config.n_layers}"
                + _bias_hint(name, config, present=True),
                path=str(stored.file),
                tensor=stored.name,
            )
    for name in expected:
        if name not in tensors:
            where = next(iter(tensors.values())).file.parent if tensors else "the checkpoint"
            raise ModelLoadError(
                f"tensor {name!r} is missing from the weights in {where}"
                + _bias_hint(name, config, present=False),
                path=str(where),
                tensor=name,
            )


def _shape_keys(config: ModelConfig, stored: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """Which config.json keys set the dimensions that differ: ``" (96 = intermediate_size)"``."""
    key = functools.partial(hf_key, config)
    sizes = [
        (config.vocab_size, "vocab_size"),
        (config.dim, key("dim")),
        (config.hidden_dim, key("hidden_dim")),
        (config.max_seq_len, key("max_seq_len")),
        (config.n_heads * config.head_dim, f"{key('n_heads')} * head_dim"),
        (config.n_kv_heads * config.head_dim, f"{key('n_kv_heads')} * head_dim"),
        (3 * config.dim, f"3 * {key('dim')}"),
    ]
    notes = []
    for size in dict.fromkeys(e for s, e in zip(stored, expected, strict=False) if s != e):
        names = list(dict.fromkeys(name for value, name in sizes if value == size))
        if names:
            notes.append(f"{size} = {' or '.join(names)}")
    return f" ({'; '.join(notes)})" if notes else ""


def _bias_hint(name: str, config: ModelConfig, *, present: bool) -> str:
    """Why config.json expects (or does not expect) ``name``: the flag that decides it."""
    if name == "lm_head.weight":
        return (
            " (config.json sets tie_word_embeddings to false; set it to true if the model "
            "reuses its embedding matrix as the output layer)"
        )
    if config.family == "llama" and name.endswith(".bias"):
        flag = "mlp_bias" if ".mlp." in name else "attention_bias"
        value = "false" if present else "true"
        return f" (config.json has {flag} = {value}, or implies it for this architecture)"
    return " (does config.json match the weights?)"


def check_finite(tensor: torch.Tensor, stored: StoredTensor) -> None:
    """A NaN or infinite weight makes every output garbage: refuse it at load time. (A sum
    in float64 is finite exactly when every float32 or narrower value is, and needs no
    tensor-sized temporary.)"""
    if math.isfinite(tensor.sum(dtype=torch.float64).item()):
        return
    bad = int((~torch.isfinite(tensor)).sum())
    raise ModelLoadError(
        f"{stored.file}: tensor {stored.name!r} holds {bad} NaN or infinite values "
        "(a corrupt or diverged checkpoint)",
        path=str(stored.file),
        tensor=stored.name,
    )
