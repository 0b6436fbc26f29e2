"""Converting Hugging Face byte-level BPE to tiktoken ranks: what converts exactly, and the
clear errors for what cannot. Hugging Face ``tokenizers`` is the reference."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import tokenizers

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.files import load_hf_tokenizer_json
from promptcraft.tokenizers.tokenizer import CL100K_PATTERN, Tokenizer

# Byte-level spellings: "Ġ" is the space byte.
MERGES = ["Ġ t", "h e", "Ġt he", "i n", "Ġ in", "Ġin g"]
LLAMA3_PRE_TOKENIZER = {
    "type": "Sequence",
    "pretokenizers": [
        {
            "type": "Split",
            "pattern": {"Regex": CL100K_PATTERN},
            "behavior": "Isolated",
            "invert": False,
        },
        {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False},
    ],
}
SAMPLES = ["the thing in the inn", " theing 12345 ing", "Ünïcödé 🤖 the", "a  b\n\n c"]

WriteJson = Callable[..., Path]


def _added(token_id: int, content: str, **flags: bool) -> dict[str, object]:
    entry = {"single_word": False, "lstrip": False, "rstrip": False, "normalized": False}
    return {"id": token_id, "content": content, "special": True, **entry, **flags}


def _hf_ids(path: Path, text: str) -> list[int]:
    return tokenizers.Tokenizer.from_file(str(path)).encode(text, add_special_tokens=False).ids


def _assert_encodes_like_hf(path: Path, tokenizer: Tokenizer, samples: list[str]) -> None:
    assert [tokenizer.encode(s) for s in samples] == [_hf_ids(path, s) for s in samples]


def test_small_byte_level_bpe_encodes_like_hf(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES)
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), SAMPLES)


def test_split_regex_of_the_pre_tokenizer_becomes_the_pattern(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES, pre_tokenizer=LLAMA3_PRE_TOKENIZER)
    tokenizer = load_hf_tokenizer_json(path)
    assert tokenizer.pattern == CL100K_PATTERN
    _assert_encodes_like_hf(path, tokenizer, SAMPLES)


def test_merges_written_as_pairs_load_like_merges_written_as_strings(
    write_tokenizer_json: WriteJson,
):
    as_strings = load_hf_tokenizer_json(write_tokenizer_json(MERGES)).mergeable_ranks
    pairs = [merge.split(" ") for merge in MERGES]
    as_pairs = load_hf_tokenizer_json(write_tokenizer_json(MERGES, model={"merges": pairs}))
    assert as_pairs.mergeable_ranks == as_strings


def test_ignore_merges_accepts_a_token_whose_splits_are_all_listed(
    write_tokenizer_json: WriteJson,
):
    # "abcd" is not rebuilt from its bytes (b+c merges first), but its only two-token split
    # ab + cd is listed: with ignore_merges both emit the word "abcd" whole.
    path = write_tokenizer_json(["b c", "a b", "c d", "ab cd"], model={"ignore_merges": True})
    samples = ["abcd", "abcdabcd", "xabcd", "abcd abcd"]
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), samples)


def test_token_not_rebuilt_by_its_merges_is_refused_without_ignore_merges(
    write_tokenizer_json: WriteJson,
):
    path = write_tokenizer_json(["b c", "a b", "c d", "ab cd"])
    with pytest.raises(TokenizerError, match=r"token 'abcd' \(id 259\) is not rebuilt"):
        load_hf_tokenizer_json(path)


def test_token_with_an_unlisted_split_is_refused_with_ignore_merges(
    write_tokenizer_json: WriteJson,
):
    # "abc" comes out as ab + c, which no merge lists, while tiktoken would join them.
    path = write_tokenizer_json(["a b", "b c", "a bc"], model={"ignore_merges": True})
    with pytest.raises(TokenizerError, match=r"token 'abc' .*join 'ab' \+ 'c'"):
        load_hf_tokenizer_json(path)


def test_ignore_merges_keeps_a_token_no_merge_makes_when_nothing_can_join_into_it(
    write_tokenizer_json: WriteJson,
):
    path = write_tokenizer_json(MERGES, vocab={"xyz": 262}, model={"ignore_merges": True})
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), ["xyz", "xyzxyz", "the xyz"])


def test_ignore_merges_refuses_a_token_no_merge_makes_that_two_tokens_spell(
    write_tokenizer_json: WriteJson,
):
    path = write_tokenizer_json(MERGES, vocab={"ing": 262}, model={"ignore_merges": True})
    with pytest.raises(TokenizerError, match=r"'ing' \(id 262\) is produced by no merge"):
        load_hf_tokenizer_json(path)


def test_merge_whose_id_is_below_its_parts_is_refused_by_name(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(["h e", "he l"], vocab={"he": 300})  # "hel" keeps id 257
    with pytest.raises(TokenizerError, match=r"merge #2 'he' \+ 'l': produces id 257"):
        load_hf_tokenizer_json(path)


def test_merges_whose_ids_fall_are_refused_by_name(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(["h e", "i n"], vocab={"he": 300, "in": 299})
    with pytest.raises(TokenizerError, match=r"merge #2 'i' \+ 'n'.*ids must rise"):
        load_hf_tokenizer_json(path)


def test_merge_of_unknown_token_is_refused_by_name(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(["h e", "he llo"])
    with pytest.raises(TokenizerError, match=r"merge #2 'he' \+ 'llo': 'llo' is not in"):
        load_hf_tokenizer_json(path)


def test_added_tokens_become_special_tokens(write_tokenizer_json: WriteJson):
    added = [_added(262, "<|im_start|>")]
    tokenizer = load_hf_tokenizer_json(write_tokenizer_json(MERGES, added_tokens=added))
    assert tokenizer.special_tokens == {"<|im_start|>": 262}
    assert tokenizer.encode("<|im_start|>hi", allow_special=True)[0] == 262


def test_added_token_id_that_hf_would_renumber_is_refused(write_tokenizer_json: WriteJson):
    added = [_added(300, "<|im_start|>")]  # the vocabulary ends at 261: HF makes it 262
    with pytest.raises(TokenizerError, match=r"written with id 300, but Hugging Face gives it"):
        load_hf_tokenizer_json(write_tokenizer_json(MERGES, added_tokens=added))


def test_non_special_added_token_is_matched_in_ordinary_text(write_tokenizer_json: WriteJson):
    added = [_added(262, "<think>", special=False)]
    path = write_tokenizer_json(MERGES, added_tokens=added)
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), ["the <think>in</think>"])


def test_added_token_that_strips_whitespace_is_refused(write_tokenizer_json: WriteJson):
    added = [_added(262, "<mask>", special=False, lstrip=True)]
    with pytest.raises(TokenizerError, match=r"'<mask>' .* strips whitespace"):
        load_hf_tokenizer_json(write_tokenizer_json(MERGES, added_tokens=added))


def test_nfc_normalizer_is_applied_like_hf(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES, normalizer={"type": "NFC"})
    tokenizer = load_hf_tokenizer_json(path)
    assert tokenizer.normalization == "NFC"
    _assert_encodes_like_hf(path, tokenizer, ["cafe\u0301 the"])


def test_lowercase_normalizer_is_refused(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES, normalizer={"type": "Lowercase"})
    with pytest.raises(TokenizerError, match=r"normalizer \['Lowercase'\]"):
        load_hf_tokenizer_json(path)


def test_unigram_model_is_refused_as_sentencepiece(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(model={"type": "Unigram"})
    with pytest.raises(TokenizerError, match=r"Unigram is a SentencePiece unigram model"):
        load_hf_tokenizer_json(path)


def test_bpe_with_byte_fallback_is_refused_as_sentencepiece(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(model={"byte_fallback": True})
    with pytest.raises(TokenizerError, match=r"SentencePiece-style .*Llama-2"):
        load_hf_tokenizer_json(path)


def test_metaspace_pre_tokenizer_is_refused_as_sentencepiece(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(pre_tokenizer={"type": "Metaspace", "replacement": "▁"})
    with pytest.raises(TokenizerError, match=r"Metaspace: it is a SentencePiece-style"):
        load_hf_tokenizer_json(path)


def test_vocab_token_outside_the_byte_alphabet_is_refused(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(["h e"], vocab={"▁the": 400})
    with pytest.raises(TokenizerError, match=r"'▁the' .*SentencePiece-style"):
        load_hf_tokenizer_json(path)


def test_two_split_regexes_in_sequence_are_refused(write_tokenizer_json: WriteJson):
    split = LLAMA3_PRE_TOKENIZER["pretokenizers"][0]
    steps = [split, split, LLAMA3_PRE_TOKENIZER["pretokenizers"][1]]
    path = write_tokenizer_json(MERGES, pre_tokenizer={"type": "Sequence", "pretokenizers": steps})
    with pytest.raises(TokenizerError, match=r"splits with 2 regexes"):
        load_hf_tokenizer_json(path)


def test_byte_level_add_prefix_space_is_refused(write_tokenizer_json: WriteJson):
    pre = {"type": "ByteLevel", "add_prefix_space": True, "use_regex": True}
    with pytest.raises(TokenizerError, match=r"add_prefix_space=true"):
        load_hf_tokenizer_json(write_tokenizer_json(MERGES, pre_tokenizer=pre))


def test_pre_tokenizer_without_byte_level_is_refused(write_tokenizer_json: WriteJson):
    pre = {"type": "Sequence", "pretokenizers": [LLAMA3_PRE_TOKENIZER["pretokenizers"][0]]}
    with pytest.raises(TokenizerError, match=r"no ByteLevel step"):
        load_hf_tokenizer_json(write_tokenizer_json(MERGES, pre_tokenizer=pre))


def test_wordpiece_model_is_refused(write_tokenizer_json: WriteJson):
    with pytest.raises(TokenizerError, match=r"model type 'WordPiece' is not BPE"):
        load_hf_tokenizer_json(write_tokenizer_json(model={"type": "WordPiece"}))


def test_invalid_json_error_names_the_file_and_line(tmp_path: Path):
    path = tmp_path / "tokenizer.json"
    path.write_text('{\n  "model": {,\n}', encoding="utf-8")
    with pytest.raises(TokenizerError, match=r"tokenizer.json:2: invalid JSON"):
        load_hf_tokenizer_json(path)


def test_ruby_style_interval_in_a_split_regex_keeps_hf_meaning(write_tokenizer_json: WriteJson):
    # In Oniguruma "\p{N}{1,3}+" means runs of 1-3 digits, repeated: the whole number.
    split = {**LLAMA3_PRE_TOKENIZER["pretokenizers"][0], "pattern": {"Regex": r"\p{N}{1,3}+|\D+"}}
    pre = {"type": "Sequence", "pretokenizers": [split, LLAMA3_PRE_TOKENIZER["pretokenizers"][1]]}
    merges = ["1 2", "3 4", "12 34"]
    path = write_tokenizer_json(merges, pre_tokenizer=pre)
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), ["1234 x", "12341234"])


def test_tokenizers_library_file_lacking_byte_tokens_encodes_like_hf(tmp_path: Path):
    # A tokenizer.json written by the tokenizers library itself, not by hand.
    model = tokenizers.models.BPE(
        vocab={**{chr(c): i for i, c in enumerate(range(ord("a"), ord("d")))}, "ab": 3},
        merges=[("a", "b")],
    )
    hf = tokenizers.Tokenizer(model)
    hf.pre_tokenizer = tokenizers.pre_tokenizers.ByteLevel(add_prefix_space=False)
    path = tmp_path / "tokenizer.json"
    hf.save(str(path))
    document = json.loads(path.read_text(encoding="utf-8"))
    assert document["model"]["merges"]  # the layout our loader parses
    # Hugging Face drops every byte the vocabulary lacks (here all but a, b and c).
    _assert_encodes_like_hf(path, load_hf_tokenizer_json(path), ["abc", "a b", "dab", "cab!"])


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        ({"vocab": None}, r"model\.vocab is missing \(expected an object of token -> id\)"),
        ({"vocab": ["a", "b"]}, r"model\.vocab must be an object of token -> id, not a list"),
        ({"merges": None}, r"model\.merges is missing \(expected a list of merges\)"),
        ({"merges": "h e"}, r"model\.merges must be a list of merges, not a string"),
    ],
)
def test_a_missing_or_mistyped_vocab_or_merges_is_named(
    write_tokenizer_json: WriteJson, model: dict, problem: str
):
    path = write_tokenizer_json(MERGES, model=model)
    with pytest.raises(TokenizerError, match=f"tokenizer.json: {problem}"):
        load_hf_tokenizer_json(path)


def test_a_vocab_id_that_is_not_an_integer_is_named(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES, vocab={"he": "257"})
    with pytest.raises(
        TokenizerError, match=r"model\.vocab\['he'\] must be a non-negative integer id, not '257'"
    ):
        load_hf_tokenizer_json(path)


def test_two_vocab_tokens_with_one_id_are_named(write_tokenizer_json: WriteJson):
    path = write_tokenizer_json(MERGES, vocab={"he": 65})  # 65 is the byte "A"
    with pytest.raises(TokenizerError, match=r"model\.vocab gives id 65 to both 'A' and 'he'"):
        load_hf_tokenizer_json(path)
