"""Helpers for the missing-byte and GGUF tokenizer tests: seeded fuzzed text, and the Hugging
Face ``tokenizer.json`` a GGUF vocabulary came from (the reference to compare with)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import tokenizers

BYTE_LEVEL_DECODER = {
    "type": "ByteLevel",
    "add_prefix_space": True,
    "trim_offsets": True,
    "use_regex": True,
}

# The single bytes SmolLM2's vocabulary lacks, as text: six control characters, and characters
# from the planes whose UTF-8 lead byte is 0xf1 or 0xf2 (0xc0, 0xc1, 0xf5-0xff never occur in
# UTF-8). Hugging Face drops each such byte and merges what is left of the chunk.
SMOLLM2_MISSING_BYTES = bytes([0x04, 0x06, 0x13, 0x14, 0x16, 0x1D, 0xC0, 0xC1, 0xF1, 0xF2])
SMOLLM2_MISSING_BYTES += bytes(range(0xF5, 0x100))
MISSING_BYTE_CHARS = [
    *"\x04\x06\x13\x14\x16\x1d",
    "\U00040000",
    "\U0005abcd",
    "\U00080001",
    "\U000bffff",
]
_FUZZ_PIECES = {
    "missing byte": MISSING_BYTE_CHARS,
    "word": ["hello", "World", "naïve", "café", "Ünïcödé", "don", "I", "x", "ab", "the", "ΑΒΓ"],
    "contraction": ["'s", "'t", "'re", "'LL", "'ve", "'M", "'d"],
    "digits": ["0", "7", "12", "2024", "3.14", "²", "½", "Ⅻ", "٣", "１"],
    "punctuation": ["!", "!!", "...", "?!", "-", "—", "(", ")", "{", "}", "==", "=>", "#", "`"],
    "whitespace": [" ", "  ", "   ", "\t", "\n", "\n\n", "\r\n", "\u00a0", "\u2003", "\x0b"],
    "rare whitespace": ["\x0c", "\x1c", "\x85", " \n ", "\t\t ", "\u3000"],
    "emoji": ["🤖", "👍🏽", "👨\u200d👩\u200d👧", "🇫🇷", "😀😀"],
    "cjk": ["日本語", "中文", "한국어", "テキスト", "，", "。"],
    "code": ["def f(x):", "return x ** 2", "if (a && b) {", "#include <stdio.h>", "    pass"],
    "special look-alike": ["<|im_start|>", "<|im_end|>", "<|endoftext|>", "<|im_start", "im_end|>"],
    "added look-alike": ["<think>", "</think>", "<repo_name>"],
}


def fuzz_texts(seed: int, count: int, *, max_pieces: int = 12) -> list[str]:
    """``count`` seeded random texts, each a few pieces of the kinds above glued together, so
    missing bytes land alone, inside words and punctuation runs, and next to digits."""
    rng = random.Random(seed)
    kinds = list(_FUZZ_PIECES)
    return [
        "".join(
            rng.choice(_FUZZ_PIECES[rng.choice(kinds)]) for _ in range(rng.randint(1, max_pieces))
        )
        for _ in range(count)
    ]


def hf_tokenizer_json(
    tokens: Sequence[str],
    token_types: Sequence[int],
    merges: Sequence[str],
    *,
    pre_tokenizer: dict[str, Any],
    normalizer: dict[str, Any] | None = None,
    ignore_merges: bool = False,
    with_special_tokens: bool = True,
) -> dict[str, Any]:
    """The ``tokenizer.json`` a GGUF vocabulary (llama.cpp's token types: 1 normal,
    3 control, 4 user-defined, 5 unused) was converted from. Unused ids are left out, as
    Hugging Face has no such tokens; without ``with_special_tokens`` the control tokens are
    plain vocabulary entries, so Hugging Face encodes their text as ordinary text."""
    added = [
        {
            "id": token_id,
            "content": token,
            "single_word": False,
            "lstrip": False,
            "rstrip": False,
            "normalized": False,
            "special": kind == 3,
        }
        for token_id, (token, kind) in enumerate(zip(tokens, token_types, strict=True))
        if kind == 4 or (kind == 3 and with_special_tokens)
    ]
    return {
        "version": "1.0",
        "added_tokens": added,
        "normalizer": normalizer,
        "pre_tokenizer": pre_tokenizer,
        "decoder": BYTE_LEVEL_DECODER,
        "model": {
            "type": "BPE",
            "unk_token": None,
            "byte_fallback": False,
            "ignore_merges": ignore_merges,
            "vocab": {
                token: token_id
                for token_id, (token, kind) in enumerate(zip(tokens, token_types, strict=True))
                if kind != 5
            },
            "merges": list(merges),
        },
    }


def hf_ids(reference: tokenizers.Tokenizer, texts: Sequence[str]) -> list[list[int]]:
    return [encoding.ids for encoding in reference.encode_batch(texts, add_special_tokens=False)]


# Text for training small BPE vocabularies: words, numbers, code, accents, CJK and emoji.
_PARAGRAPH = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps; the fox runs on.\n"
    "In 2024, 1234 foxes and 56 dogs met 7 times: 1234 + 56 = 1290.\n"
    "def jump(fox, height=3):\n    return fox.jump(height * 2)\n"
    "Über café naïve résumé — 東京 and 🦊 emoji.\n"
)


SMALL_CORPUS = [_PARAGRAPH * 3, _PARAGRAPH.upper(), _PARAGRAPH.replace("fox", "wolf")]
