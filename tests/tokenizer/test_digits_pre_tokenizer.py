"""Hugging Face's Digits pre-tokenizer followed by ByteLevel (SmolLM2, StarCoder) as one
tiktoken regex: the same pieces as Hugging Face on fuzzed text, through both regex engines."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import regex
import tokenizers
from support.tokenizers import fuzz_texts, hf_ids

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.files import load_hf_tokenizer_json
from promptcraft.tokenizers.hf_convert import byte_to_unicode, pattern_from_pre_tokenizer
from promptcraft.tokenizers.tokenizer import GPT2_SINGLE_DIGIT_PATTERN

SOURCE = "tokenizer.json"


def digits_then_byte_level(individual: bool, use_regex: bool) -> dict[str, Any]:
    byte_level = {
        "type": "ByteLevel",
        "add_prefix_space": False,
        "trim_offsets": True,
        "use_regex": use_regex,
    }
    return {
        "type": "Sequence",
        "pretokenizers": [{"type": "Digits", "individual_digits": individual}, byte_level],
    }


def hf_pieces(individual: bool, use_regex: bool, texts: list[str]) -> list[list[str]]:
    """Hugging Face's pieces of each text, back from GPT-2's byte alphabet to text."""
    pre_tokenizer = tokenizers.pre_tokenizers.Sequence(
        [
            tokenizers.pre_tokenizers.Digits(individual_digits=individual),
            tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=use_regex),
        ]
    )
    to_byte = {char: b for b, char in byte_to_unicode().items()}
    return [
        [
            bytes(to_byte[char] for char in piece).decode("utf-8")
            for piece, _ in pre_tokenizer.pre_tokenize_str(text)
        ]
        for text in texts
    ]


def test_smollm2s_pre_tokenizer_is_the_gpt2_single_digit_pattern():
    spec = digits_then_byte_level(individual=True, use_regex=True)
    assert pattern_from_pre_tokenizer(spec, source=SOURCE) == GPT2_SINGLE_DIGIT_PATTERN


@pytest.mark.parametrize("individual", [True, False])
@pytest.mark.parametrize("use_regex", [True, False])
def test_digits_then_byte_level_splits_fuzzed_text_like_hf(individual: bool, use_regex: bool):
    spec = digits_then_byte_level(individual, use_regex)
    pattern = regex.compile(pattern_from_pre_tokenizer(spec, source=SOURCE))
    # Whitespace runs before a digit are where a naive one-regex version goes wrong.
    texts = [*fuzz_texts(seed=30, count=1500), "x  1", "a \n 2", "   ", "1 2  3\t\t4"]
    assert [pattern.findall(text) for text in texts] == hf_pieces(individual, use_regex, texts)


def test_digits_then_byte_level_tokenizes_like_hf_through_tiktoken(tmp_path: Path):
    # Merges that would join across a piece boundary if tiktoken split differently.
    merges = ["Ġ Ġ", "ĠĠ Ġ", "Ġ 1", "1 2", "Ċ Ċ", "Ġ Ċ", "a 1", "Ġ a"]
    table = byte_to_unicode()
    vocab = {table[b]: b for b in range(256)}
    for merge in merges:
        vocab.setdefault(merge.replace(" ", ""), len(vocab))
    document = {
        "version": "1.0",
        "added_tokens": [],
        "normalizer": None,
        "pre_tokenizer": digits_then_byte_level(individual=True, use_regex=True),
        "model": {"type": "BPE", "vocab": vocab, "merges": merges, "ignore_merges": False},
    }
    path = tmp_path / "tokenizer.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tokenizer = load_hf_tokenizer_json(path)
    texts = [*fuzz_texts(seed=31, count=1500), "a1 12  1\n\n1 a"]
    reference = tokenizers.Tokenizer.from_file(str(path))
    assert [tokenizer.encode(text) for text in texts] == hf_ids(reference, texts)


def test_digits_after_a_split_is_refused():
    spec = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Split", "pattern": {"String": "x"}, "behavior": "Isolated"},
            {"type": "Digits", "individual_digits": True},
            {"type": "ByteLevel", "add_prefix_space": False},
        ],
    }
    with pytest.raises(TokenizerError, match="Digits after another splitting step"):
        pattern_from_pre_tokenizer(spec, source=SOURCE)


def test_a_split_between_digits_and_byte_level_is_refused():
    spec = {
        "type": "Sequence",
        "pretokenizers": [
            {"type": "Digits", "individual_digits": True},
            {"type": "Split", "pattern": {"String": "x"}, "behavior": "Isolated"},
            {"type": "ByteLevel", "add_prefix_space": False, "use_regex": False},
        ],
    }
    with pytest.raises(TokenizerError, match="splits with 2 regexes in sequence"):
        pattern_from_pre_tokenizer(spec, source=SOURCE)
