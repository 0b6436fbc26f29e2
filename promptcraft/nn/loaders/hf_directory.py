"""A Hugging Face checkpoint directory as a tensor source.

The directory holds ``config.json``, ``model.safetensors`` (or shards listed in
``model.safetensors.index.json``), optionally ``generation_config.json``,
``tokenizer_config.json`` and ``chat_template.jinja``, and a tokenizer. Its tensors already
carry Hugging Face names; only a family's optional prefix (GPT-2's ``transformer.``,
``Architecture.hf_name_prefix``) is dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError, safe_open

from ...errors import ModelLoadError, TokenizerError
from ...tokenizers.tokenizer import Tokenizer
from ..config import ModelConfig
from .hf_config import config_from_hf, hf_key
from .json_keys import read_json_file, read_text_file
from .source import DTYPES, Format, SourceTensor, TensorSource

__all__ = ["FORMAT", "INDEX_FILE", "WEIGHTS_FILE", "HFDirectory", "read_config"]

WEIGHTS_FILE = "model.safetensors"
INDEX_FILE = "model.safetensors.index.json"
# safetensors dtype names the loader can convert to the model's dtype without changing values
# (integer, boolean and 8-bit float tensors are quantized weights or a corrupt file).
_FLOAT_DTYPES = ("F64", "F32", "F16", "BF16")


@dataclass(frozen=True)
class SafetensorsTensor(SourceTensor):
    """A tensor of a safetensors file (``kind`` is safetensors' dtype name: "F32", "I8")."""

    def check_kind(self) -> None:
        if self.kind not in _FLOAT_DTYPES:
            raise self.error(
                f"holds {self.kind} values, not floating-point weights "
                f"({', '.join(_FLOAT_DTYPES)}): quantized checkpoints are not supported, and "
                "any other dtype means a corrupt file"
            )

    def blocks(self) -> torch.Tensor:
        # Copied out while the file is open: safetensors maps the file into memory, and
        # weights left mapped would crash the process (SIGBUS) if the checkpoint were
        # rewritten while it runs.
        try:
            with safe_open(str(self.file), framework="pt") as handle:
                return handle.get_tensor(self.name)
        except (SafetensorError, OSError) as exc:
            raise self.error(f"cannot be read: {exc}") from None

    def dequantize(self, blocks: torch.Tensor) -> torch.Tensor:
        return blocks


class HFDirectory(TensorSource):
    """A checkpoint directory, its config read and its weight files' headers indexed."""

    def __init__(self, directory: Path):
        self.path = directory
        self.config_file = directory / "config.json"
        self.config_name = "config.json"
        self.config = read_config(directory)
        self.tensors = _index_tensors(directory, self.config.architecture.hf_name_prefix)

    def key(self, field: str) -> str:
        return hf_key(self.config, field)

    def stored_name(self, hf_name: str) -> str:
        return hf_name

    def tensor_hint(self, hf_name: str, *, present: bool) -> str:
        """The config.json flag that decides whether ``hf_name`` belongs to the model."""
        if hf_name == "lm_head.weight":
            return (
                " (config.json sets tie_word_embeddings to false; set it to true if the model "
                "reuses its embedding matrix as the output layer)"
            )
        hint = self.config.architecture.hf_tensor_hint(hf_name, present)
        return hint if hint is not None else super().tensor_hint(hf_name, present=present)

    def load_tokenizer(self) -> Tokenizer:
        from ...tokenizers.files import load_tokenizer_dir

        try:
            return load_tokenizer_dir(self.path)
        except TokenizerError as exc:
            raise ModelLoadError(
                f"cannot load the tokenizer of {self.path}: {exc}", path=str(self.path)
            ) from None

    def stored_dtype(self) -> torch.dtype:
        hf = read_json_file(self.config_file)
        stored = hf.get("dtype") or hf.get("torch_dtype")
        return DTYPES.get(str(stored), torch.float32)


FORMAT = Format("Hugging Face checkpoint directory", Path.is_dir, HFDirectory)


def read_config(directory: Path) -> ModelConfig:
    """The ModelConfig of a checkpoint directory, from config.json and its companions."""
    config_path = directory / "config.json"
    if not config_path.is_file():
        raise ModelLoadError(
            f"{config_path} is missing: not a Hugging Face model directory", path=str(config_path)
        )
    hf = read_json_file(config_path)
    generation_path = directory / "generation_config.json"
    generation = read_json_file(generation_path) if generation_path.is_file() else None
    tokenizer_config_path = directory / "tokenizer_config.json"
    tokenizer_config = (
        read_json_file(tokenizer_config_path) if tokenizer_config_path.is_file() else {}
    )
    if "add_bos_token" not in tokenizer_config:
        tokenizer_config["add_bos_token"] = _post_processor_adds_bos(directory)
    template_path = directory / "chat_template.jinja"
    template = read_text_file(template_path) if template_path.is_file() else None
    return config_from_hf(
        hf,
        source=str(config_path),
        generation=generation,
        tokenizer_config=tokenizer_config,
        chat_template=template,
    )


def _index_tensors(directory: Path, prefix: str) -> dict[str, SourceTensor]:
    """Name (``prefix`` dropped, where a name has it) -> where it is stored, for every
    tensor of every weights file (headers only)."""
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
    found: dict[str, SourceTensor] = {}
    for file in files:
        if not file.is_file():
            raise ModelLoadError(f"{file} is listed in {index} but missing", path=str(file))
        try:
            with safe_open(str(file), framework="pt") as handle:
                for name in handle.keys():  # noqa: SIM118 - safe_open is not a dict
                    piece = handle.get_slice(name)
                    shape, dtype = tuple(piece.get_shape()), str(piece.get_dtype())
                    found[name.removeprefix(prefix)] = SafetensorsTensor(file, name, shape, dtype)
        except (SafetensorError, OSError) as exc:
            raise ModelLoadError(
                f"{file} is not a readable safetensors file (truncated or corrupt?): {exc}",
                path=str(file),
            ) from None
    if weight_map is not None:
        for name, file_name in weight_map.items():
            if name.removeprefix(prefix) not in found:
                raise ModelLoadError(
                    f"{index} lists tensor {name!r} in {file_name}, which does not hold it",
                    path=str(index),
                    tensor=name,
                )
    return found


def _post_processor_adds_bos(directory: Path) -> bool:
    """Llama-3 style tokenizers prepend BOS in tokenizer.json's post-processor instead of
    saying ``add_bos_token`` in tokenizer_config.json."""
    path = directory / "tokenizer.json"
    if not path.is_file():
        return False
    processor = read_json_file(path).get("post_processor") or {}
    steps = processor.get("processors", [processor]) if isinstance(processor, dict) else []
    for step in steps:
        if isinstance(step, dict) and step.get("type") == "TemplateProcessing":
            single = step.get("single") or []
            return bool(single) and "SpecialToken" in single[0]
    return False
