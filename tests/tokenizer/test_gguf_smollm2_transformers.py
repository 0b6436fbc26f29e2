"""SmolLM2's GGUF tokenizer against transformers' own GGUF tokenizer
(``AutoTokenizer.from_pretrained(folder, gguf_file=...)``).

transformers deviates from the real SmolLM2 tokenizer, and we do not follow it there. Its
GGUF conversion (``transformers/integrations/gguf/gguf_tokenizer_mapping.py``) builds a
``GPT2Tokenizer`` and replaces its pre-tokenizer only for the names in
``GGUF_PRE_TOKENIZER_SPLITS``, which has no ``"smollm"``; so it splits with GPT-2's plain
ByteLevel regex and leaves out SmolLM2's ``Digits(individual_digits=True)`` step. SmolLM2's
vocabulary has no merge across a digit, so the two agree except where whitespace comes
before a digit: in ``"x  1"`` SmolLM2 (and promptcraft) make one chunk of both spaces, GPT-2's
``\\s+(?!\\S)`` leaves the last space to `` ?\\p{N}+``. These tests pin exactly that: we agree on
every text without whitespace before a digit, and transformers agrees with our own vocabulary
split by GPT-2's regex on every text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import regex
from support.tokenizers import fuzz_texts

from promptcraft.tokenizers.tokenizer import GPT2_PATTERN, Tokenizer

pytestmark = pytest.mark.slow  # transformers reads the 49,152 tokens in about five seconds

_WHITESPACE_BEFORE_DIGIT = regex.compile(r"\s\p{N}")


@pytest.fixture(scope="module")
def transformers_smollm2(smollm2_gguf: Path, tmp_path_factory: pytest.TempPathFactory) -> Any:
    from transformers import AutoTokenizer

    folder = tmp_path_factory.mktemp("smollm2-gguf")
    (folder / smollm2_gguf.name).symlink_to(smollm2_gguf)
    return AutoTokenizer.from_pretrained(str(folder), gguf_file=smollm2_gguf.name)


def _transformers_ids(tokenizer: Any, texts: list[str], *, allow_special: bool) -> list[list[int]]:
    encoded = tokenizer(texts, add_special_tokens=False, split_special_tokens=not allow_special)
    return [list(ids) for ids in encoded["input_ids"]]


def test_transformers_agrees_on_text_without_whitespace_before_a_digit(
    smollm2: Tokenizer, transformers_smollm2: Any
):
    texts = [t for t in fuzz_texts(seed=7, count=2000) if not _WHITESPACE_BEFORE_DIGIT.search(t)]
    assert len(texts) > 1500
    for allow_special in (False, True):
        ours = [smollm2.encode(text, allow_special=allow_special) for text in texts]
        assert ours == _transformers_ids(transformers_smollm2, texts, allow_special=allow_special)


def test_transformers_splits_smollm2_text_with_gpt2s_plain_regex(
    smollm2: Tokenizer, transformers_smollm2: Any
):
    gpt2_split = Tokenizer.from_ranks(
        smollm2.mergeable_ranks, pattern=GPT2_PATTERN, special_tokens=smollm2.special_tokens
    )
    texts = fuzz_texts(seed=8, count=2000)
    assert sum(bool(_WHITESPACE_BEFORE_DIGIT.search(t)) for t in texts) > 100
    ours = [gpt2_split.encode(text) for text in texts]
    assert ours == _transformers_ids(transformers_smollm2, texts, allow_special=False)


def test_transformers_deviates_where_whitespace_comes_before_a_digit(
    smollm2: Tokenizer, transformers_smollm2: Any
):
    # 256 is "  " (two spaces), 216 is " ": SmolLM2's Digits step ends the chunk at "1".
    assert smollm2.encode("x  1") == [104, 256, 33]
    assert _transformers_ids(transformers_smollm2, ["x  1"], allow_special=False) == [
        [104, 216, 216, 33]
    ]


def test_transformers_reads_the_same_special_tokens_and_roles(
    smollm2: Tokenizer, transformers_smollm2: Any
):
    assert transformers_smollm2.bos_token == smollm2.bos_token
    assert transformers_smollm2.eos_token == smollm2.eos_token
    assert transformers_smollm2.pad_token == smollm2.pad_token
    assert len(transformers_smollm2) == smollm2.n_vocab
    assert transformers_smollm2("a\x04b", add_special_tokens=False)["input_ids"] == [81, 82]
