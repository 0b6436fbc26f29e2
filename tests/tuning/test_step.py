"""The one training step shared by tuning and pc-tiny's pretraining recipe."""

from __future__ import annotations

import pytest
import torch

from promptcraft.tuning.step import optimizer_step, token_losses, warmup_cosine, weighted_lm_loss


def test_warmup_is_linear_then_the_cosine_ends_at_the_floor() -> None:
    assert [warmup_cosine(s, 0.0, 1.0, 4, 0.1) for s in range(4)] == [0.25, 0.5, 0.75, 1.0]
    assert warmup_cosine(4, 0.0, 2.0, 4, 0.1) == 2.0
    assert warmup_cosine(10, 0.5, 2.0, 4, 0.1) == pytest.approx(2.0 * (0.1 + 0.9 * 0.5))
    assert warmup_cosine(10, 1.0, 2.0, 4, 0.1) == pytest.approx(0.2)
    assert warmup_cosine(10, 3.0, 2.0, 4, 0.1) == warmup_cosine(10, 1.0, 2.0, 4, 0.1)


def test_the_loss_counts_only_weighted_tokens() -> None:
    torch.manual_seed(0)
    logits = torch.randn(2, 3, 7)
    targets = torch.randint(0, 7, (2, 3))
    weights = torch.tensor([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])
    losses = token_losses(logits, targets)
    assert losses.shape == (2, 3)
    expected = (losses[0, 1] + losses[0, 2] + losses[1, 2]) / 3
    torch.testing.assert_close(weighted_lm_loss(logits, targets, weights), expected)
    assert float(weighted_lm_loss(logits, targets, torch.zeros(2, 3))) == 0.0  # not NaN


def test_the_step_clips_steps_and_clears_the_gradients() -> None:
    weight = torch.nn.Parameter(torch.zeros(3))
    optimizer = torch.optim.SGD([weight], lr=1.0)
    optimizer_step((weight * torch.tensor([30.0, 40.0, 0.0])).sum(), [weight], optimizer, 1.0)
    torch.testing.assert_close(weight.detach(), torch.tensor([-0.6, -0.8, 0.0]))
    assert weight.grad is None
