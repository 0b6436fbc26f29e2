"""Packing samples into rows, and the attention that keeps packed samples apart."""

from __future__ import annotations

import pytest
import torch
from support.training import PAD, copy_task, tiny_model

from recipes.pc_tiny.packing import TrainingSample, document_attention, pack_samples


def test_packing_keeps_every_sample_whole_and_in_one_row() -> None:
    samples = copy_task(200, seed=0)
    rows = pack_samples(samples, 33, pad_id=PAD, seed=0)
    unpacked = []
    for r in range(len(rows)):
        for d in rows.documents[r].unique().tolist():
            if d >= 0:
                unpacked.append(tuple(rows.tokens[r][rows.documents[r] == d].tolist()))
    assert sorted(unpacked) == sorted(tuple(s.tokens) for s in samples)


def test_packing_weighs_first_token_and_padding_zero() -> None:
    sample = TrainingSample([5, 6, 7], [1.0, 1.0, 1.0])
    rows = pack_samples([sample, sample], 8, pad_id=PAD)
    assert rows.weights.tolist() == [[0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0]]
    assert rows.documents.tolist() == [[0, 0, 0, 1, 1, 1, -1, -1]]


def test_packing_rejects_a_sample_longer_than_a_row() -> None:
    with pytest.raises(ValueError, match="more than a row"):
        pack_samples([TrainingSample(list(range(10)), [1.0] * 10)], 8, pad_id=PAD)


def test_document_positions_restart_at_each_sample() -> None:
    documents = torch.tensor([[0, 0, 0, 1, 1, -1]])
    mask, positions = document_attention(documents)
    assert positions.tolist() == [[0, 1, 2, 0, 1, 0]]
    assert not mask[0, 0, 3, 2]  # the second sample cannot see the first
    assert mask[0, 0, 4, 3] and not mask[0, 0, 3, 4]  # causal within a sample


def test_packed_sample_gets_the_logits_it_gets_alone() -> None:
    model = tiny_model().eval()
    first, second = [5, 6, 7, 8], [9, 10, 11]
    documents = torch.tensor([[0, 0, 0, 0, 1, 1, 1]])
    mask, positions = document_attention(documents)
    with torch.no_grad():
        packed = model(torch.tensor([first + second]), positions=positions, mask=mask)
        alone = model(torch.tensor([second]))
    torch.testing.assert_close(packed[:, 4:], alone, atol=1e-5, rtol=1e-5)
