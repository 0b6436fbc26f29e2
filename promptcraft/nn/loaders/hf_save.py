"""Save a Decoder and its tokenizer as a Hugging Face checkpoint directory."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from ...tokenizers.tokenizer import Tokenizer
from ...utils.paths import with_umask_mode
from ..model import Decoder
from .hf_config import config_to_hf
from .hf_directory import WEIGHTS_FILE
from .hf_layout import hf_layout, split_to_hf
from .json_keys import read_json_file

__all__ = ["save_model"]


def save_model(model: Decoder, tokenizer: Tokenizer, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` and ``tokenizer`` as a Hugging Face directory that both
    :func:`load_model` and ``transformers.AutoModelForCausalLM`` / ``AutoTokenizer`` read.

    Each family is written as its architecture says (Llama-family models as
    LlamaForCausalLM, GPT-2 as GPT2LMHeadModel), the tokenizer as ``tokenizer.json`` (for
    transformers) and ``tokenizer.tiktoken`` (ours).
    """
    from ...tokenizers.writers import save_hf_tokenizer, save_tiktoken

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
    prefix = config.architecture.hf_name_prefix
    for piece in hf_layout(config, for_saving=True):
        for name, tensor in split_to_hf(piece, params.get(piece.name)).items():
            hf_name = name if name == "lm_head.weight" else prefix + name
            tensors[hf_name] = tensor.detach().to(model.dtype).cpu()
    save_file(tensors, str(out / WEIGHTS_FILE), metadata={"format": "pt"})
    with_umask_mode(out / WEIGHTS_FILE)
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


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
