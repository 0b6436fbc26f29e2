"""One training step, shared by tuning (:mod:`.trainer`) and pc-tiny's pretraining recipe
(``recipes/pc_tiny/train.py``): the loss on the tokens that are trained, the learning-rate
schedule, and the clipped optimizer step.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
import torch.nn.functional as F

__all__ = ["optimizer_step", "token_losses", "warmup_cosine", "weighted_lm_loss"]


def token_losses(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Next-token cross-entropy of every position, ``[batch, n]``, in float32 (a bfloat16
    forward pass still gets a float32 loss).

    ``logits [batch, n, vocab]`` at position t predict ``targets [batch, n]`` at t.
    """
    return F.cross_entropy(
        logits.float().flatten(0, 1), targets.flatten(), reduction="none"
    ).view_as(targets)


def weighted_lm_loss(
    logits: torch.Tensor, targets: torch.Tensor, weights: torch.Tensor
) -> torch.Tensor:
    """:func:`token_losses` averaged with per-token ``weights`` (0 = not trained, so a
    prompt's tokens cost nothing and only the output is learned). All-zero weights give 0,
    not NaN."""
    return (token_losses(logits, targets) * weights).sum() / weights.sum().clamp_min(1e-8)


def warmup_cosine(step: int, progress: float, peak: float, warmup: int, floor: float) -> float:
    """Linear warmup over ``warmup`` steps, then a cosine from ``peak`` down to
    ``floor * peak`` as ``progress`` goes from 0 to 1 (clamped there)."""
    if step < warmup:
        return peak * (step + 1) / warmup
    cosine = 0.5 * (1 + math.cos(math.pi * min(progress, 1.0)))
    return peak * (floor + (1 - floor) * cosine)


def optimizer_step(
    loss: torch.Tensor,
    parameters: Iterable[torch.Tensor],
    optimizer: torch.optim.Optimizer,
    grad_clip: float,
) -> None:
    """Backpropagate ``loss``, clip the gradients' global norm to ``grad_clip``, step, and
    clear the gradients for the next step."""
    loss.backward()
    torch.nn.utils.clip_grad_norm_(parameters, grad_clip)
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
