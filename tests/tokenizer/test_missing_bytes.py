"""Vocabularies that lack some single bytes: Hugging Face (without an unk_token) drops such a
byte from the text and merges what is left of its pre-tokenizer chunk; so must we."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import tokenizers
from support.tokenizers import BYTE_LEVEL_DECODER, fuzz_texts, hf_ids

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.files import load_hf_tokenizer_json, load_tokenizer_dir
from promptcraft.tokenizers.hf_convert import bytes_to_token_string
from promptcraft.tokenizers.tokenizer import CL100K_PATTERN, Tokenizer
from promptcraft.tokenizers.writers import save_hf_tokenizer, save_tiktoken

# Printable ASCII, newline and space, plus the continuation byte 0x80: no other control
# character, no UTF-8 lead byte, so "\x04", "é" and "\U00040000" are all partly missing.
ALPHABET = bytes([0x0A, 0x80, *range(0x20, 0x7F)])
MERGES = ["! !", "h e", "Ġ t", "Ġt he", "a b", "c d", "ab cd", "Ġ Ġ", "1 2"]
BYTE_LEVEL = {**BYTE_LEVEL_DECODER, "add_prefix_space": False}
PRE_TOKENIZERS: dict[str, dict[str, Any]] = {
    "gpt-2": BYTE_LEVEL,
    "cl100k": {
        "type": "Sequence",
        "pretokenizers": [
            {
                "type": "Split",
                "pattern": {"Regex": CL100K_PATTERN},
                "behavior": "Isolated",
                "invert": False,
            },
            {**BYTE_LEVEL, "use_regex": False},
        ],
    },
    "digits": {
        "type": "Sequence",
        "pretokenizers": [{"type": "Digits", "individual_digits": True}, BYTE_LEVEL],
    },
}


def write_json(
    path: Path,
    *,
    merges: list[str] = MERGES,
    pre_tokenizer: dict[str, Any] = BYTE_LEVEL,
    added: Sequence[tuple[str, bool]] = (),
    vocab: dict[str, int] | None = None,
    **model: Any,
) -> Path:
    """A byte-level BPE tokenizer.json over ``ALPHABET``: each merge gets the next id, then
    each added token (text, special)."""
    full_vocab = {bytes_to_token_string(bytes([b])): i for i, b in enumerate(ALPHABET)}
    for merge in merges:
        full_vocab.setdefault(merge.replace(" ", ""), len(full_vocab))
    full_vocab.update(vocab or {})
    added_tokens = []
    for text, special in added:
        full_vocab[text] = len(full_vocab)
        flags = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": False}
        added_tokens.append({"id": full_vocab[text], "content": text, "special": special, **flags})
    document = {
        "version": "1.0",
        "added_tokens": added_tokens,
        "normalizer": None,
        "pre_tokenizer": pre_tokenizer,
        "decoder": BYTE_LEVEL_DECODER,
        "model": {
            "type": "BPE",
            "unk_token": None,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": full_vocab,
            "merges": merges,
            **model,
        },
    }
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _hf(path: Path) -> tokenizers.Tokenizer:
    return tokenizers.Tokenizer.from_file(str(path))


def test_a_byte_missing_between_two_letters_is_dropped_like_hf(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json")
    tokenizer = load_hf_tokenizer_json(path)
    assert tokenizer.encode("a\x04b") == [tokenizer.token_id("a"), tokenizer.token_id("b")]
    assert [tokenizer.encode("a\x04b")] == hf_ids(_hf(path), ["a\x04b"])


def test_the_symbols_around_a_dropped_byte_in_one_chunk_merge_like_hf(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json")
    tokenizer = load_hf_tokenizer_json(path)
    assert tokenizer.encode("!\x04!") == tokenizer.encode("!!") == [tokenizer.token_id("!!")]
    assert [tokenizer.encode("!\x04!")] == hf_ids(_hf(path), ["!\x04!"])


def test_a_character_losing_its_lead_byte_keeps_its_other_bytes_like_hf(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json")
    tokenizer = load_hf_tokenizer_json(path)
    # U+40000 is f1 80 80 80: only the lead byte is missing.
    assert tokenizer.encode("\U00040000") == [1, 1, 1]  # id 1 is the byte 0x80
    assert [tokenizer.encode("x\U00040000y")] == hf_ids(_hf(path), ["x\U00040000y"])


def test_a_chunk_that_is_a_whole_token_once_its_byte_is_dropped_still_runs_bpe(tmp_path: Path):
    # With ignore_merges Hugging Face emits a chunk that is a vocabulary token whole, but the
    # chunk "\x04abcd" is not one; BPE of "abcd" joins b+c first and never reaches "abcd".
    path = write_json(
        tmp_path / "tokenizer.json",
        merges=["b c", "a b", "c d", "ab cd"],
        pre_tokenizer=PRE_TOKENIZERS["cl100k"],
        ignore_merges=True,
    )
    tokenizer = load_hf_tokenizer_json(path)
    assert tokenizer.encode("abcd") == [tokenizer.token_id("abcd")]
    texts = ["\x04abcd", "x \x04abcd", "abcd\x04"]
    assert [tokenizer.encode(text) for text in texts] == hf_ids(_hf(path), texts)


@pytest.mark.parametrize("pre", list(PRE_TOKENIZERS))
def test_a_vocabulary_lacking_bytes_encodes_fuzzed_text_like_hf(pre: str, tmp_path: Path):
    path = write_json(
        tmp_path / "tokenizer.json",
        pre_tokenizer=PRE_TOKENIZERS[pre],
        added=[("<|im_start|>", True), ("<think>", False)],
    )
    tokenizer = load_hf_tokenizer_json(path)
    texts = fuzz_texts(seed=20, count=1000)
    assert [tokenizer.encode(text, allow_special=True) for text in texts] == hf_ids(
        _hf(path), texts
    )


def test_special_and_added_tokens_are_matched_in_text_holding_a_missing_byte(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json", added=[("<s>", True), ("<think>", False)])
    tokenizer = load_hf_tokenizer_json(path)
    special, added = tokenizer.special_tokens["<s>"], tokenizer.special_tokens["<think>"]
    text = "<s>a\x04<think>b<s>"
    assert tokenizer.encode(text, allow_special=True) == hf_ids(_hf(path), [text])[0]
    ordinary = tokenizer.encode(text)
    assert added in ordinary and special not in ordinary
    assert tokenizer.decode(ordinary) == "<s>a<think>b<s>"


def test_a_lone_surrogate_becomes_a_replacement_character_as_tiktoken_does(tmp_path: Path):
    tokenizer = load_hf_tokenizer_json(write_json(tmp_path / "tokenizer.json"))
    assert tokenizer.encode("a\ud800\x04b") == tokenizer.encode("a\ufffd\x04b")


def test_an_unk_token_with_missing_bytes_is_refused(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json", vocab={"<unk>": 300}, unk_token="<unk>")
    with pytest.raises(TokenizerError, match=r"model\.unk_token is '<unk>' and the vocabulary"):
        load_hf_tokenizer_json(path)


def test_a_merged_token_holding_a_missing_byte_is_refused(tmp_path: Path):
    # "Ą" (the byte 0x04) is no token, so no text can give "Ąab"; tiktoken could not hold it.
    path = write_json(tmp_path / "tokenizer.json", merges=["Ąa b"], vocab={"Ąa": 200, "Ąab": 201})
    with pytest.raises(TokenizerError, match=r"token 'Ąab' \(id 201\) holds 'Ą'"):
        load_hf_tokenizer_json(path)


def test_a_vocabulary_lacking_bytes_round_trips_through_both_layouts(tmp_path: Path):
    path = write_json(tmp_path / "tokenizer.json", added=[("<s>", True), ("<think>", False)])
    tokenizer = load_hf_tokenizer_json(path)
    texts = fuzz_texts(seed=21, count=300)
    expected = [tokenizer.encode(text, allow_special=True) for text in texts]

    reloaded = load_tokenizer_dir(save_tiktoken(tokenizer, tmp_path / "tiktoken"))
    assert reloaded.mergeable_ranks == tokenizer.mergeable_ranks
    assert [reloaded.encode(text, allow_special=True) for text in texts] == expected

    written = save_hf_tokenizer(tokenizer, tmp_path / "hf") / "tokenizer.json"
    assert hf_ids(_hf(written), texts) == expected
    assert load_hf_tokenizer_json(written).mergeable_ranks == tokenizer.mergeable_ranks


def test_n_vocab_decode_and_token_bytes_report_the_real_vocabulary(tmp_path: Path):
    tokenizer = load_hf_tokenizer_json(write_json(tmp_path / "tokenizer.json"))
    assert tokenizer.n_vocab == len(ALPHABET) + len(MERGES)
    assert tokenizer.token_bytes(1) == b"\x80"
    assert tokenizer.decode(tokenizer.encode("the\x04 the")) == "the the"
    with pytest.raises(TokenizerError, match="not a single token"):
        tokenizer.token_id("\x04")


def test_missing_bytes_in_a_tiktoken_vocabulary_are_dropped_too():
    ranks = {bytes([b]): b for b in range(256) if b not in (0x04, 0x1D)}
    tokenizer = Tokenizer.from_ranks({**ranks, b"ab": 256}, pattern=CL100K_PATTERN)
    assert tokenizer.encode("a\x04b") == [ord("a"), ord("b")]  # chunks "a" and "\x04b"
    assert tokenizer.encode("\x04ab") == [256]  # one cl100k chunk: "\x04" may lead a word
    assert tokenizer.encode("\x1d\x04") == []
