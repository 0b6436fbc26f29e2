"""Writing tokenizers: our tiktoken layout round-trips, and the Hugging Face export encodes
exactly like promptcraft in ``transformers``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.files import (
    TIKTOKEN_CONFIG_FILE,
    load_hf_tokenizer_json,
    load_tokenizer_dir,
)
from promptcraft.tokenizers.tokenizer import CL100K_PATTERN, Tokenizer, get_tokenizer
from promptcraft.tokenizers.writers import save_hf_tokenizer, save_tiktoken

BYTES = {bytes([b]): b for b in range(256)}


@pytest.fixture
def auto_tokenizer(monkeypatch: pytest.MonkeyPatch) -> Any:
    """transformers' AutoTokenizer.from_pretrained, guaranteed never to touch the network."""
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")
    transformers = pytest.importorskip("transformers")
    return transformers.AutoTokenizer.from_pretrained


def _hf_encode(hf: Any, texts: list[str]) -> list[list[int]]:
    return [hf.encode(text, add_special_tokens=False) for text in texts]


def _ours(tokenizer: Tokenizer, texts: list[str]) -> list[list[int]]:
    # Hugging Face matches special-token text in the input, as allow_special does.
    return [tokenizer.encode(text, allow_special=True) for text in texts]


def test_save_tiktoken_round_trips_through_load_tokenizer_dir(trained: Tokenizer, tmp_path):
    loaded = load_tokenizer_dir(save_tiktoken(trained, tmp_path))
    assert (loaded.mergeable_ranks, loaded.special_tokens, loaded.pattern) == (
        trained.mergeable_ranks,
        trained.special_tokens,
        trained.pattern,
    )


def test_save_tiktoken_keeps_roles_normalization_and_added_tokens(tmp_path: Path):
    encoding = Tokenizer.from_ranks(
        BYTES, pattern=CL100K_PATTERN, special_tokens={"<s>": 256, "<think>": 257}
    ).encoding
    original = Tokenizer(
        encoding, bos_token_id=256, normalization="NFC", added_tokens=["<think>"], name="tiny"
    )
    loaded = load_tokenizer_dir(save_tiktoken(original, tmp_path))
    assert (loaded.name, loaded.bos_token, loaded.normalization, loaded.added_tokens) == (
        "tiny",
        "<s>",
        "NFC",
        frozenset({"<think>"}),
    )


def test_tiktoken_sidecar_holds_pattern_and_special_tokens(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    sidecar = json.loads((tmp_path / TIKTOKEN_CONFIG_FILE).read_text(encoding="utf-8"))
    assert sidecar["pattern"] == trained.pattern
    assert sidecar["special_tokens"] == trained.special_tokens
    assert sidecar["rank_file"] == "tokenizer.tiktoken"


def test_hf_export_of_trained_tokenizer_encodes_like_transformers(
    trained: Tokenizer, small_corpus, tricky_strings, tmp_path: Path, auto_tokenizer: Any
):
    hf = auto_tokenizer(save_hf_tokenizer(trained, tmp_path))
    texts = [*tricky_strings, *small_corpus, "<|im_start|>user\nhi<|im_end|>"]
    assert _hf_encode(hf, texts) == _ours(trained, texts)


def test_hf_export_decodes_like_promptcraft(trained, tricky_strings, tmp_path, auto_tokenizer):
    hf = auto_tokenizer(save_hf_tokenizer(trained, tmp_path))
    ids = [trained.encode(text) for text in tricky_strings]
    assert [hf.decode(i) for i in ids] == [trained.decode(i) for i in ids]


def test_hf_export_of_cl100k_encodes_like_transformers(tricky_strings, tmp_path, auto_tokenizer):
    # cl100k's own regex uses fancy-regex-only syntax ("{1,3}+", "$"), which the export
    # translates for Oniguruma.
    cl100k = get_tokenizer("cl100k_base")
    hf = auto_tokenizer(save_hf_tokenizer(cl100k, tmp_path))
    texts = [*tricky_strings, "trailing spaces   ", "x\n   \n"]
    assert _hf_encode(hf, texts) == _ours(cl100k, texts)


def test_hf_export_of_gpt2_encodes_the_reference_cases(
    gpt2_dir: Path, gpt2_cases, tmp_path: Path, auto_tokenizer: Any
):
    gpt2 = load_hf_tokenizer_json(gpt2_dir / "tokenizer.json")
    hf = auto_tokenizer(save_hf_tokenizer(gpt2, tmp_path))
    assert _hf_encode(hf, [text for text, _ in gpt2_cases]) == [ids for _, ids in gpt2_cases]


def test_hf_export_reloads_through_our_loader_unchanged(trained: Tokenizer, tmp_path: Path):
    loaded = load_hf_tokenizer_json(save_hf_tokenizer(trained, tmp_path) / "tokenizer.json")
    assert (loaded.mergeable_ranks, loaded.special_tokens) == (
        trained.mergeable_ranks,
        trained.special_tokens,
    )


def test_hf_export_config_names_class_roles_and_length(trained: Tokenizer, tmp_path: Path):
    save_hf_tokenizer(trained, tmp_path, model_max_length=512)
    config = json.loads((tmp_path / "tokenizer_config.json").read_text(encoding="utf-8"))
    assert {k: config[k] for k in ("tokenizer_class", "bos_token", "eos_token")} == {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": "<|im_start|>",
        "eos_token": "<|endoftext|>",
    }
    assert config["model_max_length"] == 512


def test_hf_export_gives_transformers_the_special_roles(trained, tmp_path, auto_tokenizer):
    hf = auto_tokenizer(save_hf_tokenizer(trained, tmp_path))
    assert (hf.bos_token_id, hf.eos_token_id) == (trained.bos_token_id, trained.eos_token_id)


def test_hf_export_with_add_bos_token_prepends_bos(trained, tmp_path, auto_tokenizer):
    hf = auto_tokenizer(save_hf_tokenizer(trained, tmp_path, add_bos_token=True))
    assert hf.encode("the fox") == [trained.bos_token_id, *trained.encode("the fox")]


def test_hf_export_with_add_bos_token_needs_a_bos(tmp_path: Path):
    tokenizer = Tokenizer.from_ranks(BYTES, pattern=CL100K_PATTERN, name="bare")
    with pytest.raises(TokenizerError, match="add_bos_token needs a BOS token; 'bare'"):
        save_hf_tokenizer(tokenizer, tmp_path, add_bos_token=True)


def test_hf_export_keeps_a_token_its_lower_merges_do_not_rebuild(tmp_path, auto_tokenizer):
    # b+c merges first, so BPE leaves "abcd" as a + bc + d: the export lists ab + cd for it
    # and relies on ignore_merges to emit the whole word, as tiktoken does.
    ranks = {**BYTES, b"bc": 256, b"ab": 257, b"cd": 258, b"abcd": 259}
    tokenizer = Tokenizer.from_ranks(ranks, pattern=r"\S+|\s+", name="odd")
    hf = auto_tokenizer(save_hf_tokenizer(tokenizer, tmp_path))
    texts = ["abcd", "abcdabcd", "xabcd abcdx", "abc"]
    assert _hf_encode(hf, texts) == _ours(tokenizer, texts)
