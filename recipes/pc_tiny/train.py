"""Train a decoder as a causal language model on packed, loss-weighted token rows.

Knows nothing of templates or tasks: it sees :class:`~recipes.pc_tiny.packing.PackedRows`
(tokens, per-token loss weights, document numbers) and minimises the weighted
next-token cross-entropy. One step::

    rows = batch of packed rows           # the same rows for a given (seed, step)
    logits = model(rows[:, :-1])          # each sample attends only to itself
    loss = sum(w * ce(logits, rows[:, 1:])) / sum(w)
    loss.backward(); clip; AdamW step with warmup + cosine learning rate

The batch order is a pure function of ``(seed, step)``, so a run resumed from a checkpoint
(model, optimizer, step, RNG) continues exactly as the uninterrupted run would have.

The learning-rate schedule runs on *progress*, the larger of ``step / max_steps`` and
``elapsed / time_budget_s``. A wall-clock budget thus still ends at the bottom of the
cosine whatever throughput a shared machine gives; a step budget alone is bit-for-bit
reproducible.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from pydantic import BaseModel, ConfigDict, Field, model_validator
from tqdm import tqdm

from promptcraft.nn.model import Decoder
from promptcraft.tuning.step import optimizer_step, warmup_cosine, weighted_lm_loss

from .packing import PackedRows, document_attention

__all__ = ["TrainConfig", "TrainRecord", "Trainer"]

CHECKPOINT_FILE = "checkpoint.pt"


class TrainConfig(BaseModel):
    """How to train: batch, optimizer, schedule, budget, evaluation and checkpoints."""

    model_config = ConfigDict(extra="forbid")

    batch_rows: int = Field(default=8, ge=1, description="Packed rows per optimizer step.")
    lr: float = Field(default=2e-3, gt=0.0, description="Peak learning rate.")
    min_lr_ratio: float = Field(default=0.1, ge=0.0, le=1.0)
    warmup_steps: int = Field(default=100, ge=0)
    weight_decay: float = Field(default=0.1, ge=0.0)
    betas: tuple[float, float] = (0.9, 0.95)
    grad_clip: float = Field(default=1.0, gt=0.0)
    max_steps: int | None = Field(default=None, ge=1)
    time_budget_s: float | None = Field(default=None, gt=0.0)
    eval_every: int = Field(default=200, ge=1, description="Steps between held-out evals.")
    eval_rows: int = Field(default=64, ge=1, description="Held-out rows per evaluation.")
    checkpoint_every_s: float = Field(default=300.0, gt=0.0)
    seed: int = 0
    bf16: bool = Field(default=False, description="bfloat16 autocast for the forward pass.")
    document_mask: bool = Field(
        default=True, description="Packed samples attend only to themselves."
    )
    log_every: int = Field(default=10, ge=1)
    progress: bool = True

    @model_validator(mode="after")
    def _has_budget(self) -> TrainConfig:
        if self.max_steps is None and self.time_budget_s is None:
            raise ValueError("set max_steps, time_budget_s, or both")
        return self


class TrainRecord(BaseModel):
    """One line of the training log."""

    step: int
    tokens: int  # input tokens processed so far (padding included)
    trained_tokens: int  # tokens with a nonzero loss weight so far
    elapsed_s: float
    lr: float
    loss: float | None = None  # mean training loss since the previous record
    eval_loss: float | None = None
    tokens_per_s: float | None = None


class Trainer:
    """Trains ``model`` on ``train`` rows; ``heldout`` rows give the evaluation loss.

    With ``checkpoint_dir``, the state is saved there every ``checkpoint_every_s`` seconds
    and at the end, and ``train(resume=True)`` continues from it. ``on_record`` receives
    every log record (a progress hook for callers).
    """

    def __init__(
        self,
        model: Decoder,
        train: PackedRows,
        config: TrainConfig,
        *,
        heldout: PackedRows | None = None,
        checkpoint_dir: str | os.PathLike[str] | None = None,
        on_record: Callable[[TrainRecord], None] | None = None,
    ):
        if len(train) == 0:
            raise ValueError("no training rows")
        if train.row_len - 1 > model.config.max_seq_len:
            raise ValueError(
                f"rows of {train.row_len} tokens exceed the model's context "
                f"({model.config.max_seq_len}) by more than the shifted target"
            )
        self.model = model
        self.train_rows = train
        self.heldout = heldout
        self.config = config
        self.checkpoint_dir = None if checkpoint_dir is None else Path(checkpoint_dir)
        self.on_record = on_record
        self.optimizer = _adamw(model, config)
        self.step = 0
        self.elapsed_s = 0.0  # training time so far, across resumes
        self.tokens = 0
        self.trained_tokens = 0
        self.history: list[TrainRecord] = []
        self._epoch_orders: dict[int, torch.Tensor] = {}

    # --- the loop --------------------------------------------------------------------------

    def train(self, *, resume: bool = False) -> list[TrainRecord]:
        """Train until the step or time budget is spent; return the log records."""
        if resume:
            self.load_checkpoint()
        config = self.config
        self.model.train()
        bar = tqdm(
            total=config.max_steps,
            initial=self.step,
            desc="training",
            unit=" steps",
            disable=not config.progress,
        )
        window_loss, window_steps, window_tokens = 0.0, 0, 0
        window_start = time.perf_counter()
        last_checkpoint = time.perf_counter()
        run_start, elapsed_before = time.perf_counter(), self.elapsed_s
        while not self._done():
            loss, batch_tokens = self.train_step()
            self.elapsed_s = elapsed_before + time.perf_counter() - run_start
            window_loss += loss
            window_steps += 1
            window_tokens += batch_tokens
            bar.update()
            record = None
            if self.step % config.log_every == 0 or self._done():
                seconds = time.perf_counter() - window_start
                record = self._record(window_loss / window_steps, window_tokens / seconds)
                bar.set_postfix(
                    loss=f"{record.loss:.3f}",
                    tok_s=f"{record.tokens_per_s:.0f}",
                    lr=f"{record.lr:.1e}",
                )
                window_loss, window_steps, window_tokens = 0.0, 0, 0
                window_start = time.perf_counter()
            if self.heldout is not None and (self.step % config.eval_every == 0 or self._done()):
                record = record or self._record(None, None)
                record.eval_loss = self.evaluate()
                bar.write(f"step {self.step}: held-out loss {record.eval_loss:.4f}")
            if record is not None:
                self.history.append(record)
                if self.on_record is not None:
                    self.on_record(record)
            if self.checkpoint_dir is not None and (
                time.perf_counter() - last_checkpoint >= config.checkpoint_every_s
            ):
                self.save_checkpoint()
                last_checkpoint = time.perf_counter()
        bar.close()
        if self.checkpoint_dir is not None:
            self.save_checkpoint()
        self.model.eval()
        return self.history

    def train_step(self) -> tuple[float, int]:
        """One optimizer step on the next batch; returns (loss, input tokens)."""
        batch = self.train_rows.rows(self.batch_indices(self.step))
        for group in self.optimizer.param_groups:
            group["lr"] = self.learning_rate()
        loss = self._loss(batch)
        optimizer_step(loss, self.model.parameters(), self.optimizer, self.config.grad_clip)
        self.step += 1
        tokens = batch.tokens.shape[0] * (batch.tokens.shape[1] - 1)
        self.tokens += tokens
        self.trained_tokens += int((batch.weights[:, 1:] > 0).sum())
        return float(loss.detach()), tokens

    @torch.no_grad()
    def evaluate(self) -> float:
        """Weighted loss over the first ``eval_rows`` held-out rows (no gradient)."""
        assert self.heldout is not None
        was_training = self.model.training
        self.model.eval()
        rows = self.heldout.rows(torch.arange(min(len(self.heldout), self.config.eval_rows)))
        total, weight = 0.0, 0.0
        for start in range(0, len(rows), self.config.batch_rows):
            batch = rows.rows(torch.arange(start, min(start + self.config.batch_rows, len(rows))))
            w = float(batch.weights[:, 1:].sum())
            total += float(self._loss(batch)) * w
            weight += w
        self.model.train(was_training)
        return total / max(weight, 1e-8)

    # --- schedule and data order -------------------------------------------------------------

    def progress(self) -> float:
        """How far through the budget the run is, from 0 to 1."""
        config = self.config
        done = 0.0
        if config.max_steps is not None:
            done = self.step / config.max_steps
        if config.time_budget_s is not None:
            done = max(done, self.elapsed_s / config.time_budget_s)
        return min(done, 1.0)

    def learning_rate(self) -> float:
        """Linear warmup over ``warmup_steps``, then cosine decay to ``min_lr_ratio * lr``."""
        config = self.config
        return warmup_cosine(
            self.step, self.progress(), config.lr, config.warmup_steps, config.min_lr_ratio
        )

    def batch_indices(self, step: int) -> torch.Tensor:
        """The rows of ``step``'s batch: epochs walk a seeded permutation of all rows."""
        n, size = len(self.train_rows), self.config.batch_rows
        indices = []
        for position in range(step * size, (step + 1) * size):
            epoch, offset = divmod(position, n)
            indices.append(int(self._epoch_order(epoch)[offset]))
        return torch.tensor(indices)

    def _epoch_order(self, epoch: int) -> torch.Tensor:
        if epoch not in self._epoch_orders:
            generator = torch.Generator().manual_seed(self.config.seed * 1_000_003 + epoch)
            self._epoch_orders = {
                e: order for e, order in self._epoch_orders.items() if e >= epoch - 1
            }
            self._epoch_orders[epoch] = torch.randperm(len(self.train_rows), generator=generator)
        return self._epoch_orders[epoch]

    def _done(self) -> bool:
        config = self.config
        if config.max_steps is not None and self.step >= config.max_steps:
            return True
        return config.time_budget_s is not None and self.elapsed_s >= config.time_budget_s

    def _loss(self, batch: PackedRows) -> torch.Tensor:
        inputs, targets = batch.tokens[:, :-1], batch.tokens[:, 1:]
        mask = positions = None
        if self.config.document_mask:
            mask, positions = document_attention(batch.documents[:, :-1])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.config.bf16):
            logits = self.model(inputs, positions=positions, mask=mask)
        return weighted_lm_loss(logits, targets, batch.weights[:, 1:])

    def _record(self, loss: float | None, tokens_per_s: float | None) -> TrainRecord:
        return TrainRecord(
            step=self.step,
            tokens=self.tokens,
            trained_tokens=self.trained_tokens,
            elapsed_s=round(self.elapsed_s, 2),
            lr=self.learning_rate(),
            loss=loss,
            tokens_per_s=tokens_per_s,
        )

    # --- checkpoints -------------------------------------------------------------------------

    def save_checkpoint(self) -> Path:
        """Write model, optimizer, step, clocks, log and RNG states (atomically)."""
        assert self.checkpoint_dir is not None
        self.checkpoint_dir.mkdir(parents=True, exist_ok=True)
        state = {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "step": self.step,
            "elapsed_s": self.elapsed_s,
            "tokens": self.tokens,
            "trained_tokens": self.trained_tokens,
            "history": [r.model_dump() for r in self.history],
            "model_config": self.model.config.model_dump(),
            "train_config": self.config.model_dump(),
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate()},
        }
        path = self.checkpoint_dir / CHECKPOINT_FILE
        partial = path.with_suffix(".partial")
        torch.save(state, partial)
        partial.replace(path)  # a crash mid-write never leaves a truncated checkpoint
        return path

    def load_checkpoint(self) -> None:
        """Restore the state :meth:`save_checkpoint` wrote; the model must have the same
        config."""
        if self.checkpoint_dir is None:
            raise ValueError("resuming needs a checkpoint_dir")
        path = self.checkpoint_dir / CHECKPOINT_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no checkpoint to resume from at {path}")
        state: dict[str, Any] = torch.load(path, weights_only=False)
        if state["model_config"] != self.model.config.model_dump():
            raise ValueError(f"{path} was saved from a model with a different config")
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.step = state["step"]
        self.elapsed_s = state["elapsed_s"]
        self.tokens = state["tokens"]
        self.trained_tokens = state["trained_tokens"]
        self.history = [TrainRecord(**r) for r in state["history"]]
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])

    def write_log(self, path: str | os.PathLike[str]) -> None:
        """The log records as a JSON list."""
        records = [r.model_dump() for r in self.history]
        Path(path).write_text(json.dumps(records, indent=1) + "\n", encoding="utf-8")


def _adamw(model: Decoder, config: TrainConfig) -> torch.optim.AdamW:
    # Decay matrices (and the embedding), not norm gains or biases: shrinking a gain
    # towards 0 only fights the normalisation it scales.
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for param in model.parameters():
        if param.requires_grad:
            (decay if param.dim() >= 2 else no_decay).append(param)
    groups = [
        {"params": decay, "weight_decay": config.weight_decay},
        {"params": no_decay, "weight_decay": 0.0},
    ]
    # fused: one kernel per step instead of a dozen elementwise passes over every tensor.
    return torch.optim.AdamW(groups, lr=config.lr, betas=config.betas, fused=True)
