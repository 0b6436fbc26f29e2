"""Pack variable-length training samples into fixed-length rows.

A sample is a token sequence and one loss weight per token: the weight of *predicting*
that token from the ones before it (0 for prompt tokens the model only reads, 1 for the
completion it must produce). Samples are laid end to end in rows of ``row_len`` tokens,
never split across rows, and the rest of a row is padding with weight 0.

Each token also gets a document number, so training can keep packed samples from seeing
each other (see :func:`document_attention`): a sample is then learned exactly as it will
be used, alone at the start of the context.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import torch

__all__ = ["PackedRows", "TrainingSample", "document_attention", "pack_samples"]

# How many part-filled rows stay open for a sample to fit in. More rows waste less padding,
# but keep samples of one origin longer together; 8 leaves under ~2% of a row empty on
# mixes of 50-300 token samples.
_OPEN_ROWS = 8


@dataclass(frozen=True)
class TrainingSample:
    """One training sequence: ``tokens`` and the loss weight of predicting each of them."""

    tokens: Sequence[int]
    weights: Sequence[float]

    def __post_init__(self) -> None:
        if len(self.tokens) != len(self.weights):
            raise ValueError(
                f"a sample has {len(self.tokens)} tokens but {len(self.weights)} weights"
            )
        if len(self.tokens) < 2:
            raise ValueError("a training sample needs at least two tokens")


@dataclass(frozen=True)
class PackedRows:
    """Rows of packed samples, each ``[rows, row_len]``.

    ``weights[r, t]`` weighs the loss of predicting ``tokens[r, t]`` from ``tokens[r, :t]``;
    ``documents[r, t]`` numbers the samples within a row (padding is -1).
    """

    tokens: torch.Tensor  # int64
    weights: torch.Tensor  # float32
    documents: torch.Tensor  # int16

    def __len__(self) -> int:
        return int(self.tokens.shape[0])

    @property
    def row_len(self) -> int:
        return int(self.tokens.shape[1])

    @property
    def trained_tokens(self) -> int:
        """Tokens with a nonzero loss weight."""
        return int((self.weights > 0).sum())

    def fill_ratio(self) -> float:
        """The share of slots that hold sample tokens rather than padding."""
        return float((self.documents >= 0).float().mean())

    def rows(self, index: torch.Tensor) -> PackedRows:
        return PackedRows(self.tokens[index], self.weights[index], self.documents[index])


def pack_samples(
    samples: Iterable[TrainingSample], row_len: int, *, pad_id: int, seed: int = 0
) -> PackedRows:
    """Shuffle ``samples`` (seeded) and pack them into rows of ``row_len`` tokens.

    A sample longer than ``row_len`` raises ValueError: cutting it would train the model on
    a completion whose prompt it cannot see. The first token of every sample gets weight 0,
    as nothing before it in its document predicts it.
    """
    pool = list(samples)
    random.Random(seed).shuffle(pool)
    open_rows: list[list[TrainingSample]] = []
    room: list[int] = []
    closed: list[list[TrainingSample]] = []
    for index, sample in enumerate(pool):
        size = len(sample.tokens)
        if size > row_len:
            raise ValueError(
                f"sample {index} has {size} tokens, more than a row ({row_len}); "
                "raise the row length or drop long samples"
            )
        slot = next((i for i, free in enumerate(room) if free >= size), None)
        if slot is None:
            if len(open_rows) == _OPEN_ROWS:  # close the fullest row to make space
                fullest = min(range(len(room)), key=room.__getitem__)
                closed.append(open_rows.pop(fullest))
                room.pop(fullest)
            open_rows.append([])
            room.append(row_len)
            slot = len(open_rows) - 1
        open_rows[slot].append(sample)
        room[slot] -= size
    closed.extend(open_rows)

    tokens = torch.full((len(closed), row_len), pad_id, dtype=torch.int64)
    weights = torch.zeros((len(closed), row_len), dtype=torch.float32)
    documents = torch.full((len(closed), row_len), -1, dtype=torch.int16)
    for r, row in enumerate(closed):
        at = 0
        for d, sample in enumerate(row):
            end = at + len(sample.tokens)
            tokens[r, at:end] = torch.tensor(sample.tokens, dtype=torch.int64)
            weights[r, at:end] = torch.tensor(sample.weights, dtype=torch.float32)
            weights[r, at] = 0.0
            documents[r, at:end] = d
            at = end
    return PackedRows(tokens, weights, documents)


def document_attention(documents: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The attention mask ``[batch, 1, n, n]`` (causal, and only within a document) and
    each token's position within its document ``[batch, n]``, for ``documents [batch, n]``.

    Padding (-1) forms a document of its own, so every query has at least itself to attend.
    """
    n = documents.shape[1]
    same = documents[:, :, None] == documents[:, None, :]
    causal = torch.ones(n, n, dtype=torch.bool, device=documents.device).tril()
    mask = (same & causal).unsqueeze(1)
    # A document starts where its number changes; position = index - start of its document.
    index = torch.arange(n, device=documents.device).expand_as(documents)
    starts = torch.ones_like(documents, dtype=torch.bool)
    starts[:, 1:] = documents[:, 1:] != documents[:, :-1]
    start_index = torch.where(starts, index, torch.zeros_like(index)).cummax(dim=1).values
    return mask, index - start_index
