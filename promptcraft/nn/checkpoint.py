"""Load and save models in the Hugging Face directory layout.

A checkpoint directory holds ``config.json``, ``model.safetensors`` (or shards listed in
``model.safetensors.index.json``), optionally ``generation_config.json``, and a tokenizer.
Every tensor name and shape is checked against the config before any weight is read, so a
bad checkpoint fails with one error naming the file and tensor, never half-loaded.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..errors import ModelLoadError, TokenizerError
from ..paths import bundled_model_dir
from ..tokenizers.tokenizer import Tokenizer
from .config import ModelConfig
from .hf_config import config_from_hf, config_to_hf, hf_key
from .hf_weights import Piece, hf_layout, split_to_hf
from .json_keys import read_json_file, read_text_file
from .model import Decoder
from .stored_tensors import (
    WEIGHTS_FILE,
    StoredTensor,
    check_finite,
    check_layer_count,
    check_names_and_shapes,
    index_tensors,
)

__all__ = ["load_model", "resolve_dtype", "save_model"]

_DTYPES = {
    "float32": torch.float32,
    "fp32": torch.float32,
    "bfloat16": torch.bfloat16,
    "bf16": torch.bfloat16,
    "float16": torch.float16,
    "fp16": torch.float16,
}


def load_model(
    path: str | os.PathLike[str] | None = None,
    *,
    dtype: str | torch.dtype | None = None,
) -> tuple[Decoder, Tokenizer]:
    """Load a decoder and its tokenizer from a Hugging Face layout directory.

    ``path`` None loads the bundled model. ``dtype`` (``"float32"`` by default,
    ``"bfloat16"``, or ``"auto"`` for the checkpoint's own) sets the weights' precision.
    The model is returned in eval mode. Raises :class:`ModelLoadError` naming the file (and
    tensor) at fault.
    """
    directory = bundled_model_dir() if path is None else Path(path)
    if not directory.is_dir():
        what = "is not a directory" if directory.exists() else "does not exist"
        raise ModelLoadError(f"model directory {directory} {what}", path=str(directory))
    config = read_config(directory)
    torch_dtype = resolve_dtype(dtype, directory)
    tensors = index_tensors(directory)
    check_layer_count(config, tensors, directory)
    layout = hf_layout(config)
    check_names_and_shapes(layout, tensors, config)
    tokenizer = _load_tokenizer(directory, config)  # before the weights: a bad one fails fast
    # Built on the meta device (no random init), given empty storage in its final dtype and
    # memory layout, then filled tensor by tensor: the peak is the model plus one tensor.
    try:
        with torch.device("meta"):
            model = Decoder(config).to(torch_dtype)
    except RuntimeError as exc:  # sizes are checked; only the RoPE tables' can overflow
        raise _context_too_long(config, directory, exc) from None
    model.rope_cos = model.rope_sin = None  # computed once the weights are in (_reset_rope)
    model.to_empty(device="cpu")
    model.tie_weights()
    model.use_fast_layout(keep_values=False)
    _fill_weights(model, layout, tensors)
    _reset_rope(model, directory)
    model.eval()
    return model, tokenizer


def save_model(model: Decoder, tokenizer: Tokenizer, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` and ``tokenizer`` as a Hugging Face directory that both
    :func:`load_model` and ``transformers.AutoModelForCausalLM`` / ``AutoTokenizer`` read.

    Llama-family models are written as LlamaForCausalLM, GPT-2 as GPT2LMHeadModel, the
    tokenizer as ``tokenizer.json`` (for transformers) and ``tokenizer.tiktoken`` (ours).
    """
    from ..tokenizers.writers import save_hf_tokenizer, save_tiktoken

    config = model.config
    out = Path(path)
    out.mkdir(parents=True, exist_ok=True)
    hf_config, generation = config_to_hf(config)
    dtype = str(model.dtype).removeprefix("torch.")
    hf_config["dtype"] = hf_config["torch_dtype"] = dtype
    _write_json(out / "config.json", hf_config)
    _write_json(out / "generation_config.json", generation)

    params = dict(model.named_parameters())
    tensors: dict[str, torch.Tensor] = {}
    prefix = "transformer." if config.family == "gpt2" else ""
    for piece in hf_layout(config, for_saving=True):
        for name, tensor in split_to_hf(piece, params.get(piece.name)).items():
            hf_name = name if name == "lm_head.weight" else prefix + name
            tensors[hf_name] = tensor.detach().to(model.dtype).cpu()
    save_file(tensors, str(out / WEIGHTS_FILE), metadata={"format": "pt"})
    # safetensors creates the file private (0600); give it the mode any other file gets,
    # so a model directory can be shared or installed.
    umask = os.umask(0)
    os.umask(umask)
    (out / WEIGHTS_FILE).chmod(0o666 & ~umask)

    save_hf_tokenizer(
        tokenizer,
        out,
        model_max_length=config.max_seq_len,
        add_bos_token=config.add_bos_token and tokenizer.bos_token_id is not None,
    )
    save_tiktoken(tokenizer, out)
    if config.chat_template is not None:
        (out / "chat_template.jinja").write_text(config.chat_template, encoding="utf-8")
        tokenizer_config = read_json_file(out / "tokenizer_config.json")
        tokenizer_config["chat_template"] = config.chat_template
        _write_json(out / "tokenizer_config.json", tokenizer_config)
    return out


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


def resolve_dtype(dtype: str | torch.dtype | None, directory: Path | None = None) -> torch.dtype:
    """``None`` → float32; ``"auto"`` → the checkpoint's stored dtype (float32 if unknown)."""
    if isinstance(dtype, torch.dtype):
        if dtype not in _DTYPES.values():
            raise ValueError(f"unsupported dtype {dtype}; use float32, bfloat16 or float16")
        return dtype
    if dtype is None:
        return torch.float32
    if dtype == "auto":
        stored = None
        if directory is not None and (directory / "config.json").is_file():
            hf = read_json_file(directory / "config.json")
            stored = hf.get("dtype") or hf.get("torch_dtype")
        return _DTYPES.get(str(stored), torch.float32)
    if dtype not in _DTYPES:
        raise ValueError(f"unknown dtype {dtype!r}; use one of {', '.join(_DTYPES)} or 'auto'")
    return _DTYPES[dtype]


# --- filling the model ------------------------------------------------------------------------


def _fill_weights(model: Decoder, layout: list[Piece], tensors: dict[str, StoredTensor]) -> None:
    """Copy every piece's checkpoint tensors into the model's parameters.

    Each tensor is copied out of the file while it is open: safetensors maps the file into
    memory, and weights left mapped would crash the process (SIGBUS) if the checkpoint
    were rewritten while it runs.
    """
    params = dict(model.named_parameters())  # a tied lm_head appears once, as tok_emb
    unfilled = set(params) - {piece.name for piece in layout}
    assert not unfilled, f"no checkpoint tensors for {sorted(unfilled)}"
    with torch.no_grad():
        for piece in layout:
            target, offset = params[piece.name], 0
            for name, shape in piece.sources:
                rows = shape[-1] if piece.transposed else shape[0]
                stored = tensors[name]
                try:
                    with safe_open(str(stored.file), framework="pt") as handle:
                        source = handle.get_tensor(stored.name)
                        check_finite(source, stored)
                        target[offset : offset + rows].copy_(
                            source.t() if piece.transposed else source
                        )
                except (SafetensorError, OSError) as exc:
                    raise ModelLoadError(
                        f"{stored.file}: cannot read tensor {stored.name!r}: {exc}",
                        path=str(stored.file),
                        tensor=stored.name,
                    ) from None
                offset += rows


def _reset_rope(model: Decoder, directory: Path) -> None:
    """Compute the RoPE tables; a context length too large to hold them is a config error."""
    try:
        model.reset_rope()
    except (RuntimeError, MemoryError) as exc:
        raise _context_too_long(model.config, directory, exc) from None


def _context_too_long(config: ModelConfig, directory: Path, exc: Exception) -> ModelLoadError:
    source = directory / "config.json"
    size = 2 * config.max_seq_len * config.head_dim * 4
    return ModelLoadError(
        f"{source}: {hf_key(config, 'max_seq_len')} is {config.max_seq_len}; the rotary "
        f"position tables for that many positions need {size / 2**30:.1f} GiB, which "
        f"could not be allocated ({type(exc).__name__}). Is the value a typo?",
        path=str(source),
    )


# --- tokenizer, bundled model, JSON ------------------------------------------------------------


def _load_tokenizer(directory: Path, config: ModelConfig) -> Tokenizer:
    from ..tokenizers.files import load_tokenizer_dir

    try:
        tokenizer = load_tokenizer_dir(directory)
    except TokenizerError as exc:
        raise ModelLoadError(
            f"cannot load the tokenizer of {directory}: {exc}", path=str(directory)
        ) from None
    if tokenizer.n_vocab > config.vocab_size:
        vocab = [*tokenizer.special_tokens.items()] + [
            (token.decode("utf-8", "replace"), token_id)
            for token, token_id in tokenizer.mergeable_ranks.items()
        ]
        beyond = sorted((i, text) for text, i in vocab if i >= config.vocab_size)
        shown = ", ".join(f"{text!r} (id {token_id})" for token_id, text in beyond[:3])
        more = f" and {len(beyond) - 3} more" if len(beyond) > 3 else ""
        raise ModelLoadError(
            f"{directory}: the tokenizer has {tokenizer.n_vocab} tokens but the model embeds "
            f"only {config.vocab_size} (vocab_size in config.json); tokens beyond it: "
            f"{shown}{more}. Do the tokenizer files belong to this model?",
            path=str(directory),
        )
    # The model's config is the authority on its special tokens; fill what the tokenizer
    # files left unset so callers can ask either.
    if tokenizer.bos_token_id is None:
        tokenizer.bos_token_id = config.bos_token_id
    if tokenizer.eos_token_id is None and config.eos_token_ids:
        tokenizer.eos_token_id = config.eos_token_ids[0]
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token_id = config.pad_token_id
    return tokenizer


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


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
