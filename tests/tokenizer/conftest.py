"""Fixtures for the tokenizer tests: the shared GPT-2 reference data and small tokenizers."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
from support.tokenizers import SMALL_CORPUS

from promptcraft.tokenizers.gguf_vocab import tokenizer_from_gguf
from promptcraft.tokenizers.hf_convert import byte_to_unicode
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.utils.gguf_header import GGUFFile, open_gguf
from recipes.pc_tiny.bpe_training import train_bpe

_BYTE_LEVEL = {
    "type": "ByteLevel",
    "add_prefix_space": True,
    "trim_offsets": True,
    "use_regex": True,
}
CASE_SEPARATOR = "\n__ggml_vocab_test__\n"

# Strings that exercise the pre-tokenizer and byte handling: digits, unicode, whitespace
# runs, emoji (multi-token characters, ZWJ sequences, skin tones), code.
_TRICKY_STRINGS = [
    "Hello world",
    " Hello  World!",
    "numbers 1 12 123 1234 1234567890 3.14159 -42",
    "emoji 🤖👍🏽 family 👨\u200d👩\u200d👧 flags 🇫🇷",
    "日本語のテキスト、中文，한국어",
    "Ελληνικά Кириллица Tiếng Việt",
    "tabs\t\tand\n\n\nnewlines   \n  ",
    "    indented\n        deeper\r\n",
    "def f(x):\n    return x ** 2  # square\n",
    "don't you're I'LL we've",
    "",
    " ",
    "\u00a0non-breaking\u2003em space",
    "e\u0301 vs é",
]


@pytest.fixture(scope="session")
def tricky_strings() -> list[str]:
    return list(_TRICKY_STRINGS)


@pytest.fixture(scope="session")
def gpt2_dir(shared_testdata: Path) -> Path:
    """../shared/testdata/gpt2-tokenizer (tests/conftest.py), read in place, never copied."""
    directory = shared_testdata / "gpt2-tokenizer"
    if not (directory / "tokenizer.json").is_file():
        pytest.skip(f"GPT-2 reference data not found at {directory}")
    return directory


@pytest.fixture(scope="session")
def gpt2_cases(gpt2_dir: Path) -> list[tuple[str, list[int]]]:
    """(text, reference ids) for the 46 llama.cpp cases (see the data's README.md)."""
    texts = (gpt2_dir / "cases.inp").read_text(encoding="utf-8").split(CASE_SEPARATOR)[:-1]
    lines = (gpt2_dir / "cases.out").read_text(encoding="utf-8").split("\n")[: len(texts)]
    return [(text, [int(i) for i in line.split()]) for text, line in zip(texts, lines, strict=True)]


@pytest.fixture(scope="session")
def small_corpus() -> list[str]:
    return SMALL_CORPUS


@pytest.fixture(scope="session")
def trained(small_corpus: list[str]) -> Tokenizer:
    """A small tokenizer trained by promptcraft, with special tokens and roles."""
    tokenizer = train_bpe(
        small_corpus, 600, special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
    )
    tokenizer.bos_token_id = tokenizer.special_tokens["<|im_start|>"]
    tokenizer.eos_token_id = tokenizer.special_tokens["<|endoftext|>"]
    return tokenizer


@pytest.fixture
def write_tokenizer_json(tmp_path: Path) -> Callable[..., Path]:
    """Write a small byte-level BPE ``tokenizer.json``: byte ids are the byte values and
    each merge ``"a b"`` (byte-level spelling) gets the next id, unless ``vocab`` overrides.
    Other keyword arguments replace top-level keys, ``model`` keys update the model."""

    def write(
        merges: Sequence[str] = (),
        *,
        vocab: dict[str, int] | None = None,
        model: dict[str, Any] | None = None,
        **top: Any,
    ) -> Path:
        table = byte_to_unicode()
        full_vocab = {table[b]: b for b in range(256)}
        for merge in merges:
            full_vocab.setdefault(merge.replace(" ", ""), len(full_vocab))
        full_vocab.update(vocab or {})
        document: dict[str, Any] = {
            "version": "1.0",
            "added_tokens": [],
            "normalizer": None,
            "pre_tokenizer": {**_BYTE_LEVEL, "add_prefix_space": False},
            "decoder": _BYTE_LEVEL,
            "model": {
                "type": "BPE",
                "byte_fallback": False,
                "ignore_merges": False,
                "vocab": full_vocab,
                "merges": list(merges),
                **(model or {}),
            },
            **top,
        }
        path = tmp_path / "tokenizer.json"
        path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def smollm2_file(smollm2_gguf: Path) -> GGUFFile:
    """SmolLM2-135M-Instruct's GGUF file, opened once (reading its metadata takes seconds)."""
    return open_gguf(smollm2_gguf)


@pytest.fixture(scope="session")
def smollm2(smollm2_file: GGUFFile) -> Tokenizer:
    """SmolLM2's tokenizer, read from its GGUF file's metadata."""
    return tokenizer_from_gguf(smollm2_file)
