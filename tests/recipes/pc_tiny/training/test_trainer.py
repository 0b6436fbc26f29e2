"""The causal-LM trainer: it learns, trains only what the weights say, and resumes exactly."""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from support.training import copy_rows, tiny_model

from promptcraft.tuning.step import weighted_lm_loss
from recipes.pc_tiny.packing import document_attention
from recipes.pc_tiny.train import TrainConfig, Trainer


def quiet(**fields: object) -> TrainConfig:
    defaults: dict[str, object] = {"batch_rows": 4, "lr": 3e-3, "warmup_steps": 5}
    return TrainConfig(progress=False, **{**defaults, **fields})  # type: ignore[arg-type]


def test_training_lowers_the_heldout_loss() -> None:
    model = tiny_model()
    config = quiet(max_steps=150, lr=1e-2, batch_rows=8)
    trainer = Trainer(model, copy_rows(400, 0), config, heldout=copy_rows(40, 1))
    before = trainer.evaluate()
    trainer.train()
    assert trainer.evaluate() < 0.8 * before


def test_loss_counts_only_weighted_tokens() -> None:
    logits = torch.randn(1, 5, 7, requires_grad=True)
    targets = torch.tensor([[1, 2, 3, 4, 5]])
    weights = torch.tensor([[0.0, 0.0, 1.0, 1.0, 0.0]])  # a prompt, a 2-token completion, pad
    loss = weighted_lm_loss(logits, targets, weights)
    by_hand = F.cross_entropy(logits[0, 2:4], targets[0, 2:4])
    torch.testing.assert_close(loss, by_hand)
    loss.backward()
    assert logits.grad is not None
    assert logits.grad[0, [0, 1, 4]].abs().sum() == 0  # prompt and padding get no gradient


def test_prompt_targets_do_not_change_the_loss_or_gradient() -> None:
    rows = copy_rows(8, 0)
    changed = rows.tokens.clone()
    changed[rows.weights == 0] = 3  # rewrite every unweighted target (prompt and padding)
    # Inputs must stay the same: only the tokens predicted at weight-0 positions differ.
    model = tiny_model()

    def loss_and_grad(targets: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        model.zero_grad()
        mask, positions = document_attention(rows.documents[:, :-1])
        logits = model(rows.tokens[:, :-1], positions=positions, mask=mask)
        loss = weighted_lm_loss(logits, targets[:, 1:], rows.weights[:, 1:])
        loss.backward()
        return loss.detach(), model.tok_emb.weight.grad.clone()  # type: ignore[union-attr]

    loss, grad = loss_and_grad(rows.tokens)
    loss_changed, grad_changed = loss_and_grad(changed)
    torch.testing.assert_close(loss, loss_changed)
    torch.testing.assert_close(grad, grad_changed)


def test_resumed_run_continues_like_the_uninterrupted_one(tmp_path: Path) -> None:
    rows = copy_rows(200, 0)
    straight = Trainer(tiny_model(), rows, quiet(max_steps=10))
    straight.train()
    expected, _ = straight.train_step()

    first = Trainer(tiny_model(), rows, quiet(max_steps=10), checkpoint_dir=tmp_path)
    first.config.max_steps = 4
    first.train()  # checkpoints at the end
    resumed = Trainer(tiny_model(seed=1), rows, quiet(max_steps=10), checkpoint_dir=tmp_path)
    resumed.train(resume=True)
    assert resumed.step == 10
    got, _ = resumed.train_step()
    assert got == expected


def test_batches_depend_only_on_seed_and_step() -> None:
    rows = copy_rows(200, 0)
    a = Trainer(tiny_model(), rows, quiet(max_steps=1, seed=3))
    b = Trainer(tiny_model(), rows, quiet(max_steps=1, seed=3))
    c = Trainer(tiny_model(), rows, quiet(max_steps=1, seed=4))
    assert torch.equal(a.batch_indices(7), b.batch_indices(7))
    assert not torch.equal(a.batch_indices(7), c.batch_indices(7))


def test_every_row_is_seen_once_per_epoch() -> None:
    rows = copy_rows(200, 0).rows(torch.arange(10))
    trainer = Trainer(tiny_model(), rows, quiet(max_steps=1, batch_rows=5))
    epoch = torch.cat([trainer.batch_indices(0), trainer.batch_indices(1)])
    assert sorted(epoch.tolist()) == list(range(10))


def test_learning_rate_warms_up_then_decays_to_the_floor() -> None:
    trainer = Trainer(tiny_model(), copy_rows(40, 0), quiet(max_steps=100, min_lr_ratio=0.1))
    trainer.step = 0
    assert trainer.learning_rate() == 3e-3 / 5
    trainer.step = 50  # half way: the cosine is at its midpoint
    assert abs(trainer.learning_rate() - 3e-3 * (0.1 + 0.9 * 0.5)) < 1e-12
    trainer.step = 100
    assert abs(trainer.learning_rate() - 3e-4) < 1e-12
