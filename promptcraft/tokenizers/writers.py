"""Write tokenizers to disk: our tiktoken layout, and a Hugging Face ``tokenizer.json``.

``save_hf_tokenizer`` lets a tokenizer we trained ourselves run in ``transformers``
(``AutoTokenizer.from_pretrained(dir)``) and encode exactly like promptcraft does.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

from ..errors import TokenizerError
from .files import TIKTOKEN_CONFIG_FILE, TIKTOKEN_FILE, TiktokenConfig
from .hf_convert import bytes_to_token_string, merges_from_ranks
from .pattern_dialects import to_oniguruma
from .tokenizer import Tokenizer

__all__ = ["save_hf_tokenizer", "save_tiktoken"]


def save_tiktoken(tokenizer: Tokenizer, directory: str | os.PathLike[str]) -> Path:
    """Write ``tokenizer.tiktoken`` and its sidecar ``tiktoken_config.json`` into
    ``directory`` (created if needed); :func:`load_tokenizer_dir` reads them back."""
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    ranks = sorted(tokenizer.mergeable_ranks.items(), key=lambda item: item[1])
    lines = (f"{base64.b64encode(token).decode('ascii')} {rank}\n" for token, rank in ranks)
    (out / TIKTOKEN_FILE).write_text("".join(lines), encoding="ascii")
    config = TiktokenConfig(
        name=tokenizer.name,
        pattern=tokenizer.pattern,
        special_tokens=tokenizer.special_tokens,
        added_tokens=sorted(tokenizer.added_tokens),
        normalization=tokenizer.normalization,
        bos_token=tokenizer.bos_token,
        eos_token=tokenizer.eos_token,
        pad_token=tokenizer.pad_token,
    )
    (out / TIKTOKEN_CONFIG_FILE).write_text(
        config.model_dump_json(indent=2) + "\n", encoding="utf-8"
    )
    return out


def save_hf_tokenizer(
    tokenizer: Tokenizer,
    directory: str | os.PathLike[str],
    *,
    model_max_length: int | None = None,
    add_bos_token: bool = False,
) -> Path:
    """Write a byte-level BPE ``tokenizer.json`` and a ``tokenizer_config.json``
    (``PreTrainedTokenizerFast``) into ``directory`` (created if needed).

    Merges are rebuilt from the ranks (see :func:`merges_from_ranks`) and the model sets
    ``ignore_merges``, as tiktoken emits a word that is a whole token directly. With
    ``add_bos_token``, Hugging Face prepends the BOS token when asked to add special tokens.
    A vocabulary lacking single bytes is written as it is: without an ``unk_token``, Hugging
    Face drops those bytes from text, as promptcraft does.
    """
    ranks = tokenizer.mergeable_ranks
    if add_bos_token and tokenizer.bos_token_id is None:
        raise TokenizerError(f"add_bos_token needs a BOS token; {tokenizer.name!r} has none")
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    added = [
        {
            "id": token_id,
            "content": text,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": text not in tokenizer.added_tokens,
        }
        for text, token_id in sorted(tokenizer.special_tokens.items(), key=lambda item: item[1])
    ]
    document = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": (
            {"type": tokenizer.normalization} if tokenizer.normalization is not None else None
        ),
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [
                {
                    "type": "Split",
                    "pattern": {"Regex": to_oniguruma(tokenizer.pattern)},
                    "behavior": "Isolated",
                    "invert": False,
                },
                # The regex already split the text; ByteLevel only maps bytes to its alphabet.
                {
                    "type": "ByteLevel",
                    "add_prefix_space": False,
                    "trim_offsets": True,
                    "use_regex": False,
                },
            ],
        },
        "post_processor": _post_processor(tokenizer, add_bos_token),
        "decoder": {
            "type": "ByteLevel",
            "add_prefix_space": True,
            "trim_offsets": True,
            "use_regex": True,
        },
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": True,
            "vocab": _vocab_with_special_tokens(tokenizer),
            # Byte-level token strings never contain a space, so the "left right" form is
            # unambiguous and readable by every tokenizers version.
            "merges": [
                f"{bytes_to_token_string(left)} {bytes_to_token_string(right)}"
                for left, right in merges_from_ranks(ranks)
            ],
        },
    }
    _write_json(out / "tokenizer.json", document)
    _write_json(
        out / "tokenizer_config.json", _tokenizer_config(tokenizer, added, model_max_length)
    )
    return out


def _vocab_with_special_tokens(tokenizer: Tokenizer) -> dict[str, int]:
    """The model vocabulary: ordinary tokens in the byte alphabet, special tokens as their text.

    Hugging Face gives an added token its written id only when the vocabulary holds it, and
    otherwise numbers it on from the vocabulary's size (wrong for SmolLM2's, at ids 0-16).
    Added tokens are matched before the model runs, so these entries never change encoding.
    """
    ranks = tokenizer.mergeable_ranks
    vocab = {bytes_to_token_string(token): rank for token, rank in ranks.items()}
    for text, token_id in tokenizer.special_tokens.items():
        if vocab.setdefault(text, token_id) != token_id:
            raise TokenizerError(
                f"tokenizer {tokenizer.name!r}: special token {text!r} (id {token_id}) is spelled "
                f"like the ordinary token with id {vocab[text]}; a tokenizer.json vocabulary "
                "cannot hold both"
            )
    return vocab


def _post_processor(tokenizer: Tokenizer, add_bos_token: bool) -> dict[str, Any]:
    byte_level = {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": False,
        "use_regex": False,
    }
    if not add_bos_token:
        return byte_level
    bos, bos_id = tokenizer.bos_token, tokenizer.bos_token_id
    template = {
        "type": "TemplateProcessing",
        "single": [
            {"SpecialToken": {"id": bos, "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
        ],
        "pair": [
            {"SpecialToken": {"id": bos, "type_id": 0}},
            {"Sequence": {"id": "A", "type_id": 0}},
            {"SpecialToken": {"id": bos, "type_id": 1}},
            {"Sequence": {"id": "B", "type_id": 1}},
        ],
        "special_tokens": {bos: {"id": bos, "ids": [bos_id], "tokens": [bos]}},
    }
    return {"type": "Sequence", "processors": [byte_level, template]}


def _tokenizer_config(
    tokenizer: Tokenizer, added: list[dict[str, Any]], model_max_length: int | None
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        # Decoding must give back the exact text, not "tidy" spaces before punctuation.
        "clean_up_tokenization_spaces": False,
        "added_tokens_decoder": {
            str(entry["id"]): {key: value for key, value in entry.items() if key != "id"}
            for entry in added
        },
    }
    for role in ("bos", "eos", "pad"):
        text = getattr(tokenizer, f"{role}_token")
        if text is not None:
            config[f"{role}_token"] = text
    if model_max_length is not None:
        config["model_max_length"] = model_max_length
    return config


def _write_json(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
