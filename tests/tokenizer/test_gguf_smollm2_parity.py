"""SmolLM2-135M-Instruct's tokenizer, read from its GGUF file, encodes exactly like Hugging Face
``tokenizers`` running SmolLM2's real ``tokenizer.json`` settings on the same vocabulary.

The reference is built from the GGUF's own tokens and merges with SmolLM2's real pre-tokenizer
(Digits with individual_digits, then GPT-2's ByteLevel regex), no normalizer and no
unk_token; its 17 control tokens are special added tokens. The vocabulary lacks 21 single
bytes, which Hugging Face drops from the text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import tokenizers
from support.tokenizers import (
    MISSING_BYTE_CHARS,
    SMOLLM2_MISSING_BYTES,
    fuzz_texts,
    hf_ids,
    hf_tokenizer_json,
)

from promptcraft.tokenizers import gguf_adds_bos_token, load_hf_tokenizer_json
from promptcraft.tokenizers.files import load_tokenizer_dir
from promptcraft.tokenizers.missing_bytes import MissingByteEncoder, missing_single_bytes
from promptcraft.tokenizers.tokenizer import GPT2_SINGLE_DIGIT_PATTERN, Tokenizer
from promptcraft.tokenizers.writers import save_hf_tokenizer, save_tiktoken
from promptcraft.utils.gguf_header import GGUFFile

SMOLLM2_PRE_TOKENIZER = {
    "type": "Sequence",
    "pretokenizers": [
        {"type": "Digits", "individual_digits": True},
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
    ],
}


def _smollm2_json(gguf: GGUFFile, *, with_special_tokens: bool) -> dict:
    return hf_tokenizer_json(
        gguf.metadata["tokenizer.ggml.tokens"],
        gguf.metadata["tokenizer.ggml.token_type"],
        gguf.metadata["tokenizer.ggml.merges"],
        pre_tokenizer=SMOLLM2_PRE_TOKENIZER,
        with_special_tokens=with_special_tokens,
    )


@pytest.fixture(scope="module")
def smollm2_json(smollm2_file: GGUFFile, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """SmolLM2's tokenizer.json, rebuilt from the GGUF file."""
    path = tmp_path_factory.mktemp("smollm2") / "tokenizer.json"
    document = _smollm2_json(smollm2_file, with_special_tokens=True)
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def reference(smollm2_json: Path) -> tokenizers.Tokenizer:
    """Hugging Face with SmolLM2's special tokens: what ``allow_special`` must match."""
    return tokenizers.Tokenizer.from_file(str(smollm2_json))


@pytest.fixture(scope="module")
def reference_ordinary(smollm2_file: GGUFFile) -> tokenizers.Tokenizer:
    """Hugging Face without special tokens: special-token text a user typed is ordinary text."""
    document = _smollm2_json(smollm2_file, with_special_tokens=False)
    return tokenizers.Tokenizer.from_str(json.dumps(document, ensure_ascii=False))


def test_smollm2_vocabulary_keeps_its_size_and_lacks_21_single_bytes(smollm2: Tokenizer):
    assert smollm2.n_vocab == 49152
    assert missing_single_bytes(smollm2.mergeable_ranks) == SMOLLM2_MISSING_BYTES
    assert len(SMOLLM2_MISSING_BYTES) == 21


def test_smollm2_roles_and_special_tokens_come_from_the_metadata(
    smollm2: Tokenizer, smollm2_file: GGUFFile
):
    assert (smollm2.bos_token_id, smollm2.eos_token_id, smollm2.pad_token_id) == (1, 2, 2)
    assert (smollm2.bos_token, smollm2.eos_token) == ("<|im_start|>", "<|im_end|>")
    assert smollm2.special_tokens["<|endoftext|>"] == 0
    assert len(smollm2.special_tokens) == 17 and not smollm2.added_tokens
    assert smollm2.pattern == GPT2_SINGLE_DIGIT_PATTERN
    assert gguf_adds_bos_token(smollm2_file) is False


def test_smollm2_known_encodings(smollm2: Tokenizer):
    # Ids of SmolLM2's own tokenizer, as other projects check them.
    assert smollm2.encode("Hello world! 123") == [19556, 905, 17, 216, 33, 34, 35]
    assert smollm2.encode("  multiple   spaces") == [216, 2701, 256, 5600]


def test_smollm2_drops_a_missing_byte_as_hf_does(
    smollm2: Tokenizer, reference_ordinary: tokenizers.Tokenizer
):
    assert smollm2.encode("a\x04b") == [81, 82] == hf_ids(reference_ordinary, ["a\x04b"])[0]


def test_smollm2_merges_the_symbols_on_both_sides_of_a_dropped_byte_in_one_chunk(
    smollm2: Tokenizer, reference_ordinary: tokenizers.Tokenizer
):
    # "!\x04!" is one GPT-2 chunk: without the byte, "!!" is one token.
    assert smollm2.encode("!\x04!") == smollm2.encode("!!") == [10095]
    assert smollm2.encode("!\x04!") == hf_ids(reference_ordinary, ["!\x04!"])[0]


def test_smollm2_encodes_fuzzed_text_like_hf(
    smollm2: Tokenizer, reference_ordinary: tokenizers.Tokenizer
):
    texts = fuzz_texts(seed=1, count=3000)
    assert sum(any(c in t for c in MISSING_BYTE_CHARS) for t in texts) > 1000
    assert [smollm2.encode(text) for text in texts] == hf_ids(reference_ordinary, texts)


def test_smollm2_keeps_special_token_text_typed_by_a_user_ordinary(
    smollm2: Tokenizer, reference_ordinary: tokenizers.Tokenizer
):
    text = "<|im_start|>user\x04\n<|im_end|>"
    ids = smollm2.encode(text)
    assert not set(ids) & set(smollm2.special_tokens.values())
    assert ids == hf_ids(reference_ordinary, [text])[0]


def test_smollm2_allow_special_matches_special_tokens_like_hf(
    smollm2: Tokenizer, reference: tokenizers.Tokenizer
):
    texts = fuzz_texts(seed=2, count=1500)
    encoded = [smollm2.encode(text, allow_special=True) for text in texts]
    assert encoded == hf_ids(reference, texts)
    assert smollm2.encode("<|im_start|>a\x04", allow_special=True)[0] == 1


def test_smollm2_tokenizer_json_loads_and_encodes_like_hf(
    smollm2_json: Path, smollm2: Tokenizer, reference_ordinary: tokenizers.Tokenizer
):
    from_json = load_hf_tokenizer_json(smollm2_json)
    assert from_json.mergeable_ranks == smollm2.mergeable_ranks
    assert from_json.special_tokens == smollm2.special_tokens
    assert from_json.pattern == GPT2_SINGLE_DIGIT_PATTERN
    texts = fuzz_texts(seed=3, count=1500)
    assert [from_json.encode(text) for text in texts] == hf_ids(reference_ordinary, texts)


def test_smollm2_decodes_the_text_less_its_missing_bytes(smollm2: Tokenizer):
    for text in fuzz_texts(seed=4, count=300):
        kept = text.encode("utf-8").translate(None, SMOLLM2_MISSING_BYTES)
        ids = smollm2.encode(text)
        assert smollm2.decode_bytes(ids) == kept
        decoder = smollm2.stream_decoder()
        streamed = "".join(decoder.push(token_id) for token_id in ids) + decoder.flush()
        assert streamed == smollm2.decode(ids)


def test_smollm2_text_without_a_missing_byte_goes_straight_to_tiktoken(
    smollm2: Tokenizer, monkeypatch: pytest.MonkeyPatch
):
    def refuse(*args: object) -> list[int]:
        raise AssertionError("took the missing-byte path")

    monkeypatch.setattr(MissingByteEncoder, "encode", refuse)
    assert smollm2.encode("plain text, 123 🤖\n" * 100)
    with pytest.raises(AssertionError, match="missing-byte path"):
        smollm2.encode("a\x04b")


def test_smollm2_round_trips_through_the_tiktoken_layout(smollm2: Tokenizer, tmp_path: Path):
    save_tiktoken(smollm2, tmp_path)
    loaded = load_tokenizer_dir(tmp_path)
    assert loaded.mergeable_ranks == smollm2.mergeable_ranks
    assert loaded.special_tokens == smollm2.special_tokens
    assert loaded.bos_token_id == smollm2.bos_token_id
    texts = fuzz_texts(seed=5, count=300)
    assert [loaded.encode(text) for text in texts] == [smollm2.encode(text) for text in texts]


def test_smollm2_written_as_tokenizer_json_encodes_alike_in_hf(smollm2: Tokenizer, tmp_path: Path):
    save_hf_tokenizer(smollm2, tmp_path)
    written = tokenizers.Tokenizer.from_file(str(tmp_path / "tokenizer.json"))
    texts = fuzz_texts(seed=6, count=500)
    assert hf_ids(written, texts) == [smollm2.encode(text, allow_special=True) for text in texts]


def test_smollm2_constrained_decoding_compiles_over_a_vocabulary_lacking_bytes(
    smollm2: Tokenizer,
):
    from promptcraft.structured import compile_constraint, regex

    eos = smollm2.eos_token_id
    assert eos is not None
    automaton = compile_constraint(
        regex("[a-z]{2}\x04?[0-9]{3}"), smollm2, vocab_size=smollm2.n_vocab, eos_ids=[eos]
    )
    state = automaton.start
    for token_id in smollm2.encode("ab"):
        state = automaton.advance(state, token_id)
    # No token holds 0x04, so after "ab" only the digits can follow.
    allowed = automaton.allowed(state, 10).nonzero().flatten().tolist()
    assert sorted(smollm2.decode([token_id]) for token_id in allowed) == list("0123456789")
    for token_id in smollm2.encode("123"):
        state = automaton.advance(state, token_id)
    assert automaton.is_final(state)
