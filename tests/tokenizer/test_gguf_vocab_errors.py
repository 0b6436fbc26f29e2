"""GGUF vocabularies promptcraft cannot reproduce exactly, or whose metadata is corrupt: one
TokenizerError naming the file, the metadata key and what is accepted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gguf
import pytest

from promptcraft.errors import TokenizerError
from promptcraft.tokenizers import gguf_adds_bos_token, load_gguf_tokenizer, tokenizer_from_gguf
from promptcraft.tokenizers.hf_convert import byte_to_unicode
from promptcraft.utils.gguf_header import GGUFFile

BYTES = [byte_to_unicode()[b] for b in range(256)]
TOKENS = [*BYTES, "Ġt", "<s>"]  # "Ġt" is " t"; "<s>" is a control token
TYPES = [1] * 257 + [3]
REMOVE = object()


def model_file(**changes: Any) -> GGUFFile:
    """An opened GGUF file (in memory) with a small valid vocabulary, keys changed by
    ``changes`` (``tokenizer.ggml.`` left out of the names, ``REMOVE`` deletes a key)."""
    metadata: dict[str, Any] = {
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.pre": "gpt-2",
        "tokenizer.ggml.tokens": TOKENS,
        "tokenizer.ggml.token_type": TYPES,
        "tokenizer.ggml.merges": ["Ġ t"],
        "tokenizer.ggml.bos_token_id": 257,
        "tokenizer.ggml.eos_token_id": 257,
    }
    for key, value in changes.items():
        metadata[f"tokenizer.ggml.{key}"] = value
    metadata = {key: value for key, value in metadata.items() if value is not REMOVE}
    return GGUFFile(path=Path("model.gguf"), metadata=metadata, tensors={})


def test_the_small_vocabulary_loads():
    tokenizer = tokenizer_from_gguf(model_file())
    assert tokenizer.encode(" t<s>") == [256, *b"<s>"]
    assert tokenizer.encode(" t<s>", allow_special=True) == [256, 257]
    assert tokenizer.bos_token == "<s>" and tokenizer.pad_token_id is None


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        (
            {"pre": "falcon"},
            r"model\.gguf: tokenizer\.ggml\.pre is 'falcon', a pre-tokenizer promptcraft does "
            r"not know exactly \(supported: 'gpt-2', 'llama-bpe', 'qwen2', 'smollm', 'starcoder'\)",
        ),
        ({"pre": "default"}, r"tokenizer\.ggml\.pre is 'default'.*supported: 'gpt-2'"),
        ({"pre": REMOVE}, r"tokenizer\.ggml\.pre is missing.*'default' sequence of regexes"),
        (
            {"model": "llama"},
            r"tokenizer\.ggml\.model is 'llama'.*SentencePiece vocabularies are not supported",
        ),
        ({"model": "bert"}, r"tokenizer\.ggml\.model is 'bert'; supported: 'gpt2'"),
        ({"model": REMOVE}, r"metadata key 'tokenizer\.ggml\.model' is missing"),
        ({"model": 2}, r"metadata key 'tokenizer\.ggml\.model' is 2, expected str"),
    ],
)
def test_an_unsupported_tokenizer_is_refused_naming_the_key(changes: dict, problem: str):
    with pytest.raises(TokenizerError, match=problem):
        tokenizer_from_gguf(model_file(**changes))


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"tokens": REMOVE}, r"metadata key 'tokenizer\.ggml\.tokens' is missing"),
        ({"tokens": "Ġt"}, r"metadata key 'tokenizer\.ggml\.tokens' is 'Ġt', expected list"),
        (
            {"tokens": [*TOKENS[:-1], 7]},
            r"'tokenizer\.ggml\.tokens' must be a list of strings, but item 257 is 7",
        ),
        (
            {"tokens": [*TOKENS[:-1], "a"]},
            r"tokenizer\.ggml\.tokens lists 'a' twice \(ids 97 and 257\)",
        ),
        (
            {"token_type": TYPES[:-1]},
            r"'tokenizer\.ggml\.token_type' has 257 entries for 258 tokens",
        ),
        (
            {"token_type": [*TYPES[:-1], 9]},
            r"'tokenizer\.ggml\.token_type' gives token 257 the type 9; known: 1 normal",
        ),
        (
            {"token_type": [*TYPES[:-1], 6]},
            r"token_type marks token 257 \('<s>'\) as a byte token",
        ),
        ({"merges": REMOVE}, r"metadata key 'tokenizer\.ggml\.merges' is missing"),
        ({"merges": ["Ġt"]}, r"'tokenizer\.ggml\.merges': merge #1 'Ġt' is not '<left> <right>'"),
        (
            {"merges": ["Ġ t", "t Ġ"]},
            r"model\.gguf: tokenizer\.ggml: merge #2 't' \+ 'Ġ': 'tĠ' is not in the vocabulary",
        ),
        (
            {"bos_token_id": 258},
            r"'tokenizer\.ggml\.bos_token_id' is 258, outside the 258 tokens",
        ),
        (
            {"padding_token_id": -1},
            r"'tokenizer\.ggml\.padding_token_id' is -1, outside the 258 tokens",
        ),
        (
            {"unknown_token_id": 1000},
            r"'tokenizer\.ggml\.unknown_token_id' is 1000, outside the 258 tokens",
        ),
        ({"eos_token_id": "2"}, r"'tokenizer\.ggml\.eos_token_id' is '2', expected int"),
        (
            {"tokens": [*TOKENS[:-1], "▁the"], "token_type": [*TYPES[:-1], 1]},
            r"token '▁the' has the character '▁'.*SentencePiece",
        ),
    ],
)
def test_corrupt_metadata_is_refused_naming_the_key(changes: dict, problem: str):
    with pytest.raises(TokenizerError, match=problem):
        tokenizer_from_gguf(model_file(**changes))


def test_without_token_types_every_token_is_ordinary():
    tokenizer = tokenizer_from_gguf(model_file(token_type=REMOVE))
    # "<s>" is produced by no merge, so it stays decodable as a special token (as GPT-2's
    # "<|endoftext|>" does in vocab.json).
    assert tokenizer.token_bytes(257) == b"<s>"


def test_add_bos_token_comes_from_the_metadata_else_llama_cpps_default():
    assert gguf_adds_bos_token(model_file(add_bos_token=True)) is True
    assert gguf_adds_bos_token(model_file(add_bos_token=False)) is False
    assert gguf_adds_bos_token(model_file()) is False
    assert gguf_adds_bos_token(model_file(pre="llama-bpe")) is True


def test_a_gguf_file_with_an_unknown_pre_tokenizer_is_refused(tmp_path: Path):
    path = tmp_path / "falcon.gguf"
    writer = gguf.GGUFWriter(str(path), "llama")
    writer.add_tokenizer_model("gpt2")
    writer.add_tokenizer_pre("falcon")
    writer.add_token_list(TOKENS)
    writer.add_token_merges(["Ġ t"])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    with pytest.raises(TokenizerError, match=rf"{path}: tokenizer\.ggml\.pre is 'falcon'"):
        load_gguf_tokenizer(path)
