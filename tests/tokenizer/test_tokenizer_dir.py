"""Loading tokenizers from model directories and rank files, and the errors for what is
missing or unsupported."""

from __future__ import annotations

import base64
import json
import re
import shutil
from pathlib import Path

import pytest

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers.files import (
    TIKTOKEN_CONFIG_FILE,
    load_tiktoken_file,
    load_tokenizer_dir,
    read_tiktoken_ranks,
)
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tokenizers.writers import save_hf_tokenizer, save_tiktoken


def _write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document), encoding="utf-8")


def test_missing_directory_error_names_it(tmp_path: Path):
    with pytest.raises(TokenizerError, match=re.escape(f"{tmp_path / 'nope'} does not exist")):
        load_tokenizer_dir(tmp_path / "nope")


def test_empty_directory_error_names_what_was_looked_for(tmp_path: Path):
    with pytest.raises(TokenizerError) as error:
        load_tokenizer_dir(tmp_path)
    assert str(tmp_path) in str(error.value)
    assert "tokenizer.json, or vocab.json + merges.txt" in str(error.value)


def test_sentencepiece_tokenizer_model_is_refused(tmp_path: Path):
    (tmp_path / "tokenizer.model").write_bytes(b"\n\x0e\n\x05<unk>\x15\x00\x00\x00\x00\x18\x02")
    with pytest.raises(TokenizerError, match=r"tokenizer.model is a SentencePiece model"):
        load_tokenizer_dir(tmp_path)


def test_tiktoken_tokenizer_model_without_sidecar_asks_for_its_pattern(tmp_path: Path):
    lines = [f"{base64.b64encode(bytes([b])).decode()} {b}" for b in range(256)]
    (tmp_path / "tokenizer.model").write_text("\n".join(lines), encoding="ascii")
    with pytest.raises(TokenizerError, match=r"is a tiktoken rank file .* no pre-tokenizer regex"):
        load_tokenizer_dir(tmp_path)


def test_tiktoken_tokenizer_model_loads_with_a_sidecar_naming_it(trained: Tokenizer, tmp_path):
    save_tiktoken(trained, tmp_path)
    (tmp_path / "tokenizer.tiktoken").rename(tmp_path / "tokenizer.model")
    sidecar = json.loads((tmp_path / TIKTOKEN_CONFIG_FILE).read_text(encoding="utf-8"))
    _write_json(tmp_path / TIKTOKEN_CONFIG_FILE, {**sidecar, "rank_file": "tokenizer.model"})
    assert load_tokenizer_dir(tmp_path).mergeable_ranks == trained.mergeable_ranks


def test_rank_file_without_sidecar_is_reported(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    (tmp_path / TIKTOKEN_CONFIG_FILE).unlink()
    expected = f"tokenizer.tiktoken has no {TIKTOKEN_CONFIG_FILE}"
    with pytest.raises(TokenizerError, match=re.escape(expected)):
        load_tokenizer_dir(tmp_path)


def test_invalid_sidecar_error_names_the_file_and_field(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    _write_json(tmp_path / TIKTOKEN_CONFIG_FILE, {"special_tokens": {}})
    with pytest.raises(TokenizerError, match=f"{TIKTOKEN_CONFIG_FILE}: .*pattern"):
        load_tokenizer_dir(tmp_path)


def test_bad_rank_line_error_names_the_file_and_line(tmp_path: Path):
    path = tmp_path / "ranks.tiktoken"
    path.write_text("IQ== 0\nnot-base64! 1\n", encoding="ascii")
    with pytest.raises(TokenizerError, match=r"ranks.tiktoken:2: not a tiktoken rank line"):
        read_tiktoken_ranks(path)


def test_load_tiktoken_file_takes_pattern_and_special_tokens(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    loaded = load_tiktoken_file(
        tmp_path / "tokenizer.tiktoken",
        pattern=trained.pattern,
        special_tokens=trained.special_tokens,
        eos_token_id=trained.eos_token_id,
    )
    text = "The fox <|endoftext|> 🦊 1234"
    assert loaded.encode(text, allow_special=True) == trained.encode(text, allow_special=True)
    assert loaded.eos_token_id == trained.eos_token_id


def test_roles_come_from_tokenizer_config(trained: Tokenizer, tmp_path: Path):
    save_hf_tokenizer(trained, tmp_path)
    config = {"bos_token": {"content": "<|im_start|>"}, "eos_token": "<|im_end|>"}
    _write_json(tmp_path / "tokenizer_config.json", config)
    loaded = load_tokenizer_dir(tmp_path)
    assert (loaded.bos_token, loaded.eos_token) == ("<|im_start|>", "<|im_end|>")


def test_special_tokens_map_fills_roles_the_config_lacks(trained: Tokenizer, tmp_path: Path):
    save_hf_tokenizer(trained, tmp_path)
    _write_json(tmp_path / "tokenizer_config.json", {"eos_token": "<|im_end|>"})
    _write_json(tmp_path / "special_tokens_map.json", {"pad_token": "<|endoftext|>"})
    loaded = load_tokenizer_dir(tmp_path)
    assert (loaded.eos_token, loaded.pad_token) == ("<|im_end|>", "<|endoftext|>")


def test_unknown_role_token_error_names_the_file_and_role(trained: Tokenizer, tmp_path: Path):
    save_hf_tokenizer(trained, tmp_path)
    _write_json(tmp_path / "tokenizer_config.json", {"bos_token": "<s>"})
    with pytest.raises(TokenizerError, match=r"tokenizer_config.json: bos_token '<s>' is not"):
        load_tokenizer_dir(tmp_path)


def test_sidecar_roles_win_over_hf_config(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)  # bos <|im_start|>, eos <|endoftext|>
    _write_json(tmp_path / "tokenizer_config.json", {"eos_token": "<|im_end|>"})
    assert load_tokenizer_dir(tmp_path).eos_token == "<|endoftext|>"


def test_vocab_and_merges_directory_reads_added_tokens_from_config(gpt2_dir: Path, tmp_path):
    for name in ("vocab.json", "merges.txt"):
        shutil.copy(gpt2_dir / name, tmp_path / name)  # into a temporary dir, not the repo
    decoder = {"50257": {"content": "<|pad|>", "special": True}}
    config = {"added_tokens_decoder": decoder, "eos_token": "<|endoftext|>"}
    _write_json(tmp_path / "tokenizer_config.json", config)
    loaded = load_tokenizer_dir(tmp_path)
    assert loaded.special_tokens == {"<|endoftext|>": 50256, "<|pad|>": 50257}
    assert loaded.eos_token_id == 50256


def test_negative_rank_error_names_the_file_and_line(tmp_path: Path):
    path = tmp_path / "ranks.tiktoken"
    path.write_text("IQ== 0\nIg== -7\n", encoding="ascii")
    with pytest.raises(TokenizerError, match=r"ranks.tiktoken:2: rank -7 is outside 0\.\."):
        read_tiktoken_ranks(path)


def test_negative_special_token_id_in_the_sidecar_is_named(trained: Tokenizer, tmp_path: Path):
    save_tiktoken(trained, tmp_path)
    sidecar = json.loads((tmp_path / TIKTOKEN_CONFIG_FILE).read_text())
    sidecar["special_tokens"]["<|endoftext|>"] = -1
    _write_json(tmp_path / TIKTOKEN_CONFIG_FILE, sidecar)
    with pytest.raises(
        TokenizerError, match=rf"{TIKTOKEN_CONFIG_FILE}: .*special_tokens.<\|endoftext\|>"
    ):
        load_tokenizer_dir(tmp_path)
