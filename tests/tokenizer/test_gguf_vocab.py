"""Tokenizers read from GGUF metadata: small synthetic vocabularies, written with
``gguf.GGUFWriter``, for each supported ``tokenizer.ggml.pre``, checked against Hugging Face
``tokenizers`` with that family's real ``tokenizer.json`` settings and against transformers'
own GGUF loader.

The vocabulary is GPT-2's first 2,000 merges without the single bytes SmolLM2 lacks (and
every token holding one), renumbered, plus two control tokens, a user-defined token and an
unused id, as llama.cpp's converter writes them.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import tokenizers
from support.gguf_writing import write_file
from support.tokenizers import SMOLLM2_MISSING_BYTES, fuzz_texts, hf_ids, hf_tokenizer_json

from promptcraft.tokenizers import load_gguf_tokenizer
from promptcraft.tokenizers.hf_convert import byte_to_unicode
from promptcraft.tokenizers.tokenizer import (
    CL100K_PATTERN,
    GPT2_PATTERN,
    GPT2_SINGLE_DIGIT_PATTERN,
    SINGLE_DIGIT_PATTERN,
)

NORMAL, CONTROL, USER_DEFINED, UNUSED = 1, 3, 4, 5
N_MERGES = 2000


_GPT2_BYTE_LEVEL = {
    "type": "ByteLevel",
    "add_prefix_space": False,
    "trim_offsets": True,
    "use_regex": True,
}


def _split_then_byte_level(pattern: str) -> dict[str, Any]:
    return {
        "type": "Sequence",
        "pretokenizers": [
            {
                "type": "Split",
                "pattern": {"Regex": pattern},
                "behavior": "Isolated",
                "invert": False,
            },
            {**_GPT2_BYTE_LEVEL, "use_regex": False},
        ],
    }


# Each family's real tokenizer.json settings: pre_tokenizer, normalizer, ignore_merges.
FAMILIES: dict[str, dict[str, Any]] = {
    "gpt-2": {"pre_tokenizer": _GPT2_BYTE_LEVEL},
    "llama-bpe": {"pre_tokenizer": _split_then_byte_level(CL100K_PATTERN), "ignore_merges": True},
    "qwen2": {
        "pre_tokenizer": _split_then_byte_level(SINGLE_DIGIT_PATTERN),
        "normalizer": {"type": "NFC"},
    },
    "smollm": {
        "pre_tokenizer": {
            "type": "Sequence",
            "pretokenizers": [{"type": "Digits", "individual_digits": True}, _GPT2_BYTE_LEVEL],
        }
    },
}
PATTERNS = {
    "gpt-2": GPT2_PATTERN,
    "llama-bpe": CL100K_PATTERN,
    "qwen2": SINGLE_DIGIT_PATTERN,
    "smollm": GPT2_SINGLE_DIGIT_PATTERN,
}


class Vocab:
    """A GGUF vocabulary: tokens by id, llama.cpp token types, merges."""

    def __init__(self, tokens: list[str], types: list[int], merges: list[str]):
        self.tokens, self.types, self.merges = tokens, types, merges

    def id_of(self, token: str) -> int:
        return self.tokens.index(token)


@pytest.fixture(scope="module")
def vocab(gpt2_dir: Path) -> Vocab:
    model = json.loads((gpt2_dir / "tokenizer.json").read_text(encoding="utf-8"))["model"]
    lacking = {byte_to_unicode()[b] for b in SMOLLM2_MISSING_BYTES}
    kept_ids = sorted(
        token_id
        for token, token_id in model["vocab"].items()
        if token_id < 256 + N_MERGES and not lacking & set(token)
    )
    by_id = {token_id: token for token, token_id in model["vocab"].items()}
    tokens = [by_id[token_id] for token_id in kept_ids]  # renumbered, order kept
    merges = [" ".join(pair) for pair in model["merges"][:N_MERGES]]
    merges = [merge for merge in merges if not lacking & set(merge)]
    specials = ["<|endoftext|>", "<|im_start|>", "<think>", f"[PAD{len(tokens) + 3}]"]
    return Vocab(
        tokens + specials, [NORMAL] * len(tokens) + [CONTROL, CONTROL, USER_DEFINED, UNUSED], merges
    )


def write_gguf(path: Path, metadata: dict[str, Any]) -> Path:
    """A GGUF file (architecture llama, no tensors) holding ``metadata``."""
    return write_file(path, "llama", metadata)


def vocab_metadata(vocab: Vocab, pre: str, **extra: Any) -> dict[str, Any]:
    return {
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": pre,
        "tokenizer.ggml.tokens": vocab.tokens,
        "tokenizer.ggml.token_type": vocab.types,
        "tokenizer.ggml.merges": vocab.merges,
        "tokenizer.ggml.bos_token_id": vocab.id_of("<|im_start|>"),
        "tokenizer.ggml.eos_token_id": vocab.id_of("<|endoftext|>"),
        "tokenizer.ggml.padding_token_id": vocab.id_of("<|endoftext|>"),
        **extra,
    }


@pytest.fixture(scope="module")
def gguf_files(vocab: Vocab, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One GGUF file per family, all in one folder (as transformers wants them)."""
    folder = tmp_path_factory.mktemp("gguf")
    return {pre: write_gguf(folder / f"{pre}.gguf", vocab_metadata(vocab, pre)) for pre in FAMILIES}


def reference(vocab: Vocab, pre: str, *, with_special_tokens: bool) -> tokenizers.Tokenizer:
    document = hf_tokenizer_json(
        vocab.tokens,
        vocab.types,
        vocab.merges,
        with_special_tokens=with_special_tokens,
        **FAMILIES[pre],
    )
    return tokenizers.Tokenizer.from_str(json.dumps(document, ensure_ascii=False))


def transformers_ids(path: Path, texts: list[str], *, allow_special: bool) -> list[list[int]]:
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(path.parent), gguf_file=path.name)
    encoded = tokenizer(texts, add_special_tokens=False, split_special_tokens=not allow_special)
    return [list(ids) for ids in encoded["input_ids"]]


@pytest.mark.parametrize("pre", list(FAMILIES))
def test_gguf_vocabulary_encodes_fuzzed_text_like_hf(
    pre: str, vocab: Vocab, gguf_files: dict[str, Path]
):
    tokenizer = load_gguf_tokenizer(gguf_files[pre])
    assert tokenizer.pattern == PATTERNS[pre]
    texts = fuzz_texts(seed=10, count=1000)
    ordinary = reference(vocab, pre, with_special_tokens=False)
    assert [tokenizer.encode(text) for text in texts] == hf_ids(ordinary, texts)
    special = reference(vocab, pre, with_special_tokens=True)
    encoded = [tokenizer.encode(text, allow_special=True) for text in texts]
    assert encoded == hf_ids(special, texts)


@pytest.mark.parametrize("pre", ["gpt-2", "llama-bpe", "qwen2"])
def test_gguf_vocabulary_encodes_fuzzed_text_like_transformers(
    pre: str, gguf_files: dict[str, Path]
):
    tokenizer = load_gguf_tokenizer(gguf_files[pre])
    # transformers gives a qwen2 file no NFC normalizer (see the next test): NFC text only.
    texts = [t for t in fuzz_texts(seed=11, count=1000) if unicodedata.is_normalized("NFC", t)]
    for allow_special in (False, True):
        ours = [tokenizer.encode(text, allow_special=allow_special) for text in texts]
        assert ours == transformers_ids(gguf_files[pre], texts, allow_special=allow_special)


def test_qwen2_gguf_normalizes_to_nfc_as_qwen2s_tokenizer_json_does_unlike_transformers(
    vocab: Vocab, gguf_files: dict[str, Path]
):
    # Qwen2's tokenizer.json has an NFC normalizer; transformers' GGUF conversion
    # (GPT2Tokenizer plus a Split) leaves it out, so decomposed text encodes differently there.
    tokenizer = load_gguf_tokenizer(gguf_files["qwen2"])
    decomposed = "cafe\u0301"
    assert tokenizer.encode(decomposed) == tokenizer.encode("café")
    assert [tokenizer.encode(decomposed)] == hf_ids(
        reference(vocab, "qwen2", with_special_tokens=False), [decomposed]
    )
    assert transformers_ids(gguf_files["qwen2"], [decomposed], allow_special=False) != [
        tokenizer.encode(decomposed)
    ]


def test_gguf_control_tokens_are_special_and_user_defined_tokens_are_added(
    vocab: Vocab, gguf_files: dict[str, Path]
):
    tokenizer = load_gguf_tokenizer(gguf_files["gpt-2"])
    think, start = vocab.id_of("<think>"), vocab.id_of("<|im_start|>")
    assert tokenizer.added_tokens == {"<think>"}
    assert think in tokenizer.encode("a<think>b")
    assert start not in tokenizer.encode("<|im_start|>")
    assert tokenizer.encode("<|im_start|>", allow_special=True) == [start]


def test_gguf_roles_come_from_the_metadata(vocab: Vocab, gguf_files: dict[str, Path]):
    tokenizer = load_gguf_tokenizer(gguf_files["gpt-2"])
    assert (tokenizer.bos_token, tokenizer.eos_token, tokenizer.pad_token) == (
        "<|im_start|>",
        "<|endoftext|>",
        "<|endoftext|>",
    )


def test_gguf_unused_ids_count_in_the_vocabulary_but_never_encode(
    vocab: Vocab, gguf_files: dict[str, Path]
):
    tokenizer = load_gguf_tokenizer(gguf_files["gpt-2"])
    unused = len(vocab.tokens) - 1
    assert tokenizer.n_vocab == len(vocab.tokens)
    assert tokenizer.token_bytes(unused) == vocab.tokens[unused].encode()
    assert unused not in tokenizer.encode(vocab.tokens[unused])


def test_gguf_vocabulary_lacking_bytes_drops_them_like_hf(
    vocab: Vocab, gguf_files: dict[str, Path]
):
    tokenizer = load_gguf_tokenizer(gguf_files["llama-bpe"])
    ordinary = reference(vocab, "llama-bpe", with_special_tokens=False)
    for text in ["a\x04b", "hello\x1dworld", "\x04", "x\U00040000y", " \x06the"]:
        assert [tokenizer.encode(text)] == hf_ids(ordinary, [text])
