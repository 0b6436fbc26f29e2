"""The Tokenizer itself: encode/decode, special tokens, bytes, streaming decode."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.tokenizer import (
    CL100K_PATTERN,
    Tokenizer,
    get_tokenizer,
    resolve_tokenizer,
)
from promptcraft.tokenizers.writers import save_tiktoken

BYTES = {bytes([b]): b for b in range(256)}


@pytest.fixture(scope="module")
def cl100k() -> Tokenizer:
    return get_tokenizer("cl100k_base")


def test_encode_treats_special_token_text_as_ordinary_text_by_default(trained: Tokenizer):
    ids = trained.encode("a<|endoftext|>b")
    assert trained.special_tokens["<|endoftext|>"] not in ids
    assert trained.decode(ids) == "a<|endoftext|>b"


def test_encode_with_allow_special_emits_the_special_token_id(trained: Tokenizer):
    ids = trained.encode("a<|endoftext|>b", allow_special=True)
    assert trained.special_tokens["<|endoftext|>"] in ids


def test_count_is_the_length_of_the_encoding(cl100k: Tokenizer):
    text = "Counting tokens, with émojis 🤖 and numbers 12345."
    assert cl100k.count(text) == len(cl100k.encode(text))


def test_token_bytes_of_a_special_token_is_its_text(trained: Tokenizer):
    assert trained.token_bytes(trained.special_tokens["<|im_end|>"]) == b"<|im_end|>"


def test_token_bytes_of_an_unknown_id_names_the_id(trained: Tokenizer):
    with pytest.raises(TokenizerError, match="token id 99999 "):
        trained.token_bytes(99999)


def test_decode_of_an_unknown_id_names_the_id(trained: Tokenizer):
    with pytest.raises(TokenizerError, match="token id 99999 "):
        trained.decode([65, 99999])


def test_decode_bytes_keeps_a_partial_character_raw(cl100k: Tokenizer):
    ids = cl100k.encode("🤖")
    assert len(ids) > 1  # the emoji spans several tokens
    assert cl100k.decode_bytes(ids[:1]) == "🤖".encode()[: len(cl100k.token_bytes(ids[0]))]


def test_decode_replaces_a_partial_character(cl100k: Tokenizer):
    assert cl100k.decode(cl100k.encode("🤖")[:1]).endswith("\ufffd")


def test_token_id_finds_a_special_token(trained: Tokenizer):
    assert trained.token_id("<|im_start|>") == trained.special_tokens["<|im_start|>"]


def test_token_id_of_multi_token_text_raises(trained: Tokenizer):
    with pytest.raises(TokenizerError, match="not a single token"):
        trained.token_id("definitely several tokens")


def test_role_tokens_are_named_from_their_ids(trained: Tokenizer):
    assert (trained.bos_token, trained.eos_token, trained.pad_token) == (
        "<|im_start|>",
        "<|endoftext|>",
        None,
    )


def test_stream_decoder_holds_back_a_character_split_across_tokens(cl100k: Tokenizer):
    first, *rest = cl100k.encode("🤖")
    decoder = cl100k.stream_decoder()
    assert decoder.push(first) == ""
    assert "".join(decoder.push(i) for i in rest) == "🤖"


def test_stream_decoder_emits_complete_text_immediately(cl100k: Tokenizer):
    decoder = cl100k.stream_decoder()
    assert [decoder.push(i) for i in cl100k.encode("Hi there")] == ["Hi", " there"]


def test_stream_decoder_flush_replaces_an_unfinished_character(cl100k: Tokenizer):
    decoder = cl100k.stream_decoder()
    decoder.push(cl100k.encode("🤖")[0])
    assert decoder.flush() == "\ufffd"
    assert decoder.flush() == ""


def test_stream_decoder_does_not_wait_on_an_invalid_byte():
    tokenizer = Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN, name="bytes")
    decoder = tokenizer.stream_decoder()
    assert decoder.push(0xFF) == "\ufffd"  # 0xFF never starts a UTF-8 character
    assert decoder.push(ord("a")) == "a"


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_stream_decoder_pieces_concatenate_to_the_text(text: str):
    tokenizer = get_tokenizer("cl100k_base")
    decoder = tokenizer.stream_decoder()
    pieces = [decoder.push(i) for i in tokenizer.encode(text)]
    assert "".join(pieces) + decoder.flush() == text


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_encode_then_decode_returns_the_text(text: str):
    tokenizer = get_tokenizer("cl100k_base")
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_nfc_normalization_composes_text_before_encoding():
    tokenizer = Tokenizer(get_tokenizer("cl100k_base").encoding, normalization="NFC")
    assert tokenizer.encode("e\u0301") == tokenizer.encode("é")


def test_added_tokens_are_matched_in_ordinary_text():
    ranks = {**BYTES}
    plain = Tokenizer.from_ranks(ranks, pattern=CL100K_PATTERN, special_tokens={"<think>": 256})
    added = Tokenizer(plain.encoding, added_tokens=["<think>"])
    assert added.encode("a<think>b") == [ord("a"), 256, ord("b")]


def test_added_tokens_must_be_special_tokens_of_the_encoding():
    encoding = Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN).encoding
    with pytest.raises(TokenizerError, match="<think>"):
        Tokenizer(encoding, added_tokens=["<think>"])


def test_from_ranks_rejects_a_rank_used_twice():
    ranks = {**BYTES, b"ab": 256, b"cd": 256}
    with pytest.raises(TokenizerError, match=r"rank 256 is used by both b'ab' and b'cd'"):
        Tokenizer.from_ranks(ranks, pattern=CL100K_PATTERN)


def test_from_ranks_accepts_missing_single_bytes_and_encoding_drops_them():
    ranks = {token: rank for token, rank in BYTES.items() if rank != 7}
    tokenizer = Tokenizer.from_ranks(ranks, pattern=CL100K_PATTERN)
    assert tokenizer.encode("a\x07b") == [ord("a"), ord("b")]


def test_from_ranks_rejects_a_token_holding_a_missing_byte():
    ranks = {token: rank for token, rank in BYTES.items() if rank != 7}
    with pytest.raises(TokenizerError, match=r"token b'a\\x07' \(id 256\) holds the byte 0x07"):
        Tokenizer.from_ranks({**ranks, b"a\x07": 256}, pattern=CL100K_PATTERN)


def test_from_ranks_rejects_a_special_id_taken_by_an_ordinary_token():
    with pytest.raises(TokenizerError, match="already the ordinary token b'A'"):
        Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN, special_tokens={"<s>": 65})


def test_from_ranks_rejects_an_invalid_pattern():
    with pytest.raises(TokenizerError, match="invalid pattern"):
        Tokenizer.from_ranks(BYTES, pattern="(unclosed")


def test_resolve_tokenizer_loads_a_directory_path(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    assert resolve_tokenizer(tmp_path).mergeable_ranks == trained.mergeable_ranks


def test_resolve_tokenizer_rejects_an_unrelated_object():
    with pytest.raises(TokenizerError, match="cannot count tokens with int"):
        resolve_tokenizer(3)


def test_from_ranks_rejects_two_special_tokens_with_one_id():
    specials = {"<s>": 300, "</s>": 300}
    with pytest.raises(TokenizerError, match=r"special tokens '<s>' and '</s>' both have id 300"):
        Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN, special_tokens=specials)


def test_from_ranks_rejects_an_id_tiktoken_cannot_hold():
    with pytest.raises(TokenizerError, match=r"token '<s>' has id -1, outside 0\.\."):
        Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN, special_tokens={"<s>": -1})
