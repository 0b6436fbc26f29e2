"""Curriculum samples → token sequences with loss weights, and the bundled tokenizer.

Imports torch (through :mod:`recipes.pc_tiny.packing`): only the training recipe and the
evaluation use this module, never ``import recipes.pc_tiny``.
"""

from __future__ import annotations

from promptcraft.tokenizers.tokenizer import SINGLE_DIGIT_PATTERN, Tokenizer
from recipes.pc_tiny.bpe_training import train_bpe

from .chat_format import EOS_TOKEN, SPECIAL_TOKENS
from .generate import corpus_text
from .packing import TrainingSample
from .sample import Sample

__all__ = ["to_training_sample", "train_curriculum_tokenizer"]


def train_curriculum_tokenizer(
    vocab_size: int, *, corpus_samples: int, seed: int, name: str
) -> Tokenizer:
    """A byte-level BPE learned from ``corpus_samples`` curriculum samples.

    Digits are split one per token (arithmetic and counting read and write them digit by
    digit), and the chat markers and ``<|endoftext|>`` are special tokens, so user text can
    never forge them.
    """
    text = corpus_text(corpus_samples, seed)
    tokenizer = train_bpe(
        [text], vocab_size, pattern=SINGLE_DIGIT_PATTERN, special_tokens=SPECIAL_TOKENS, name=name
    )
    tokenizer.eos_token_id = tokenizer.token_id(EOS_TOKEN)
    tokenizer.pad_token_id = tokenizer.eos_token_id
    return tokenizer


def to_training_sample(
    sample: Sample, tokenizer: Tokenizer, *, prompt_weight: float = 0.0
) -> TrainingSample:
    """Tokens of ``sample`` followed by ``<|endoftext|>``: trainable segments (and the eos)
    have loss weight 1, the rest ``prompt_weight``.

    Segments are encoded one by one, which gives the same ids as encoding the whole text
    because the curriculum cuts them at pre-tokenizer boundaries. Special-token text is
    allowed: chat samples spell their role markers as text.
    """
    tokens: list[int] = []
    weights: list[float] = []
    for segment in sample.segments:
        ids = tokenizer.encode(segment.text, allow_special=True)
        tokens.extend(ids)
        weights.extend([1.0 if segment.trainable else prompt_weight] * len(ids))
    assert tokenizer.eos_token_id is not None
    tokens.append(tokenizer.eos_token_id)
    weights.append(1.0)
    return TrainingSample(tokens, weights)
