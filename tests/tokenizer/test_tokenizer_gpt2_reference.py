"""The real GPT-2 tokenizer, in both Hugging Face layouts, against 46 reference encodings."""

from __future__ import annotations

from pathlib import Path

import pytest

from promptcraft.tokenizers.files import (
    load_hf_tokenizer_json,
    load_tokenizer_dir,
    load_vocab_merges,
)
from promptcraft.tokenizers.tokenizer import GPT2_PATTERN, Tokenizer


@pytest.fixture(scope="module")
def from_tokenizer_json(gpt2_dir: Path) -> Tokenizer:
    return load_hf_tokenizer_json(gpt2_dir / "tokenizer.json")


@pytest.fixture(scope="module")
def from_vocab_merges(gpt2_dir: Path) -> Tokenizer:
    return load_vocab_merges(gpt2_dir / "vocab.json", gpt2_dir / "merges.txt")


def _mismatches(tokenizer: Tokenizer, cases: list[tuple[str, list[int]]]) -> list[str]:
    return [text for text, ids in cases if tokenizer.encode(text) != ids]


def test_there_are_46_reference_cases(gpt2_cases: list[tuple[str, list[int]]]):
    assert len(gpt2_cases) == 46


def test_tokenizer_json_encodes_all_reference_cases(from_tokenizer_json, gpt2_cases):
    assert _mismatches(from_tokenizer_json, gpt2_cases) == []


def test_vocab_and_merges_encode_all_reference_cases(from_vocab_merges, gpt2_cases):
    assert _mismatches(from_vocab_merges, gpt2_cases) == []


def test_tokenizer_json_decodes_every_case_back_to_its_text(from_tokenizer_json, gpt2_cases):
    assert [from_tokenizer_json.decode(ids) for _, ids in gpt2_cases] == [t for t, _ in gpt2_cases]


def test_vocab_and_merges_decode_every_case_back_to_its_text(from_vocab_merges, gpt2_cases):
    assert [from_vocab_merges.decode(ids) for _, ids in gpt2_cases] == [t for t, _ in gpt2_cases]


def test_both_layouts_give_the_same_ranks(from_tokenizer_json, from_vocab_merges):
    assert from_tokenizer_json.mergeable_ranks == from_vocab_merges.mergeable_ranks


def test_gpt2_has_50257_tokens_and_endoftext_is_special(from_vocab_merges):
    assert from_vocab_merges.n_vocab == 50257
    assert from_vocab_merges.special_tokens == {"<|endoftext|>": 50256}


def test_gpt2_uses_the_gpt2_pattern(from_tokenizer_json):
    assert from_tokenizer_json.pattern == GPT2_PATTERN


def test_load_tokenizer_dir_reads_the_gpt2_directory(gpt2_dir: Path, gpt2_cases):
    assert _mismatches(load_tokenizer_dir(gpt2_dir), gpt2_cases) == []
