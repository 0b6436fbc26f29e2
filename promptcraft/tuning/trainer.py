"""The tuning loop: AdamW on the method's parameters, loss on completion tokens only,
validation loss for early stopping, exact match on the validation examples before and after.

One step::

    inputs, targets, weights = collate(batch)      # weights: 1 where a completion token is due
    logits = part.logits(model, inputs)            # the method joins the forward pass here
    loss = sum(weights * ce(logits, targets)) / sum(weights)
    loss.backward(); clip; AdamW step (warmup, then cosine)

Every ``eval_every`` steps the validation loss decides: a new best keeps a copy of the
trained tensors; ``patience`` evaluations without one stop training, and the best copy wins.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable

import torch
from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from ..errors import TuningConfigError
from ..nn.generate import Generator
from ..nn.model import Decoder
from .encode import EncodedExample, collate
from .methods import TunedPart
from .step import optimizer_step, token_losses, warmup_cosine, weighted_lm_loss

__all__ = ["TrainLog", "TrainOutcome", "TuningConfig", "exact_match", "train_part"]


class TuningConfig(BaseModel):
    """How to tune. The defaults suit a few hundred short examples on a small model."""

    model_config = ConfigDict(extra="forbid")

    virtual_tokens: int = Field(default=16, ge=1, description="Prompt/prefix length.")
    top_layers: int = Field(default=2, ge=1, description="Blocks trained by top_layers.")
    prefix_hidden: int = Field(default=256, ge=1, description="Prefix MLP width.")
    lr: float | None = Field(
        default=None, gt=0, description="Peak learning rate; None: per method."
    )
    batch_size: int = Field(default=16, ge=1)
    max_epochs: int = Field(default=30, ge=1)
    max_steps: int | None = Field(default=None, ge=1)
    max_seconds: float | None = Field(default=None, gt=0, description="Wall-clock budget.")
    max_cpu_seconds: float | None = Field(
        default=None, gt=0, description="Budget of this process's CPU time (all threads)."
    )
    warmup_steps: int = Field(default=10, ge=0)
    weight_decay: float = Field(default=0.0, ge=0)
    grad_clip: float = Field(default=1.0, gt=0)
    val_fraction: float = Field(default=0.1, gt=0, lt=1)
    eval_every: int | None = Field(default=None, ge=1, description="Steps; None: each epoch.")
    patience: int = Field(default=4, ge=1, description="Evaluations without a new best.")
    seed: int = 0
    init_text: str | None = Field(
        default=None, description="Text whose tokens start the virtual tokens (prompt/prefix)."
    )
    progress: bool = True


# Adam's step is about lr per coordinate: a virtual embedding (about 0.14 per coordinate in a
# small model) moves in a few steps at 3e-2, where a weight matrix needs 1e-4 to stay sane.
# The cosine ends at a tenth of the peak learning rate.
LR_FLOOR = 0.1
DEFAULT_LR: dict[str, float] = {
    "prompt": 3e-2,
    "prefix": 1e-3,
    "ffn": 1e-3,
    "top_layers": 1e-3,
    "full": 3e-4,
}


class TrainLog(BaseModel):
    step: int
    train_loss: float
    val_loss: float
    tokens_per_s: float


class TrainOutcome(BaseModel):
    steps: int
    epochs: float
    train_seconds: float
    tokens_per_s: float
    first_val_loss: float
    best_val_loss: float
    stopped_early: bool
    interrupted: bool = False  # Ctrl-C stopped training; the best tensors so far are kept
    log: list[TrainLog]
    #: Why the time budget cut the run short of its planned steps (None: it did not).
    short_of_steps: str | None = None


def train_part(
    model: Decoder,
    part: TunedPart,
    train: list[EncodedExample],
    val: list[EncodedExample],
    config: TuningConfig,
    *,
    on_eval: Callable[[TrainLog], None] | None = None,
) -> TrainOutcome:
    """Train ``part`` on ``train``, early-stopping on ``val``; leaves the best tensors in.

    ``on_eval`` is called after each validation. Ctrl-C (a ``KeyboardInterrupt``, also one
    raised by ``on_eval``) stops training: the state reached is validated, the best tensors
    are kept, and the outcome says ``interrupted``. A loss that turns NaN or infinite raises
    :class:`~promptcraft.errors.TuningConfigError` (about ``lr``), with the best tensors back.
    """
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    params = part.parameters()
    lr = config.lr or DEFAULT_LR[part.method]
    optimizer = torch.optim.AdamW(params, lr=lr, weight_decay=config.weight_decay)
    optimizer.zero_grad(set_to_none=True)  # nothing earlier leaks into step 1
    per_epoch = math.ceil(len(train) / config.batch_size)
    total = per_epoch * config.max_epochs
    if config.max_steps is not None:
        total = min(total, config.max_steps)
    eval_every = config.eval_every or per_epoch
    warmup = min(config.warmup_steps, total // 10)  # a short run must not spend itself warming up
    pad = model.config.pad_token_id or 0
    was_training = model.training
    model.train()

    first = best = _val_loss(model, part, val, config.batch_size, pad)
    best_state, bad_evals, stopped_early, interrupted = part.state(), 0, False, False
    log: list[TrainLog] = []
    order: list[int] = []
    start, cpu_start = time.perf_counter(), time.process_time()
    tokens = window_tokens = 0
    window_loss, window_steps, window_start = 0.0, 0, start
    bar = tqdm(total=total, desc=f"tune {part.method}", unit="step", disable=not config.progress)
    step, last_val, validated, out_of_time = 0, f"{first:.3f}", 0, False

    def diverged(what: str, value: float) -> TuningConfigError:
        part.restore(best_state)  # never leave NaN weights in a model trained in place
        return TuningConfigError(
            f"training diverged: the {what} became {value} at step {step}; lower the "
            f"learning rate (it was {lr:g}) and tune again",
            field="lr",
        )

    try:
        while step < total:
            if not order:
                order = list(range(len(train)))
                rng.shuffle(order)
            batch = [train[order.pop()] for _ in range(min(config.batch_size, len(order)))]
            inputs, targets, weights = collate(batch, pad, model.device)
            # The schedule follows the larger of step and time progress, so a wall-clock budget
            # still ends at the bottom of the cosine.
            progress = (step - warmup) / max(1, total - warmup)
            if config.max_seconds is not None:
                progress = max(progress, (time.perf_counter() - start) / config.max_seconds)
            if config.max_cpu_seconds is not None:
                used = time.process_time() - cpu_start
                progress = max(progress, used / config.max_cpu_seconds)
            for group in optimizer.param_groups:
                group["lr"] = warmup_cosine(step, progress, lr, warmup, LR_FLOOR)
            loss = weighted_lm_loss(part.logits(model, inputs), targets, weights)
            loss_value = float(loss.detach())
            if not math.isfinite(loss_value):
                raise diverged("training loss", loss_value)
            optimizer_step(loss, params, optimizer, config.grad_clip)
            step += 1
            n_tokens = inputs.numel() + inputs.shape[0] * part.prefix_len
            tokens += n_tokens
            window_tokens += n_tokens
            window_loss += loss_value
            window_steps += 1
            elapsed = time.perf_counter() - start
            out_of_time = (config.max_seconds is not None and elapsed >= config.max_seconds) or (
                config.max_cpu_seconds is not None
                and time.process_time() - cpu_start >= config.max_cpu_seconds
            )
            if step % eval_every == 0 or step == total or out_of_time:
                val_loss = _val_loss(model, part, val, config.batch_size, pad)
                validated = step
                if not math.isfinite(val_loss):
                    raise diverged("validation loss", val_loss)
                now = time.perf_counter()
                record = TrainLog(
                    step=step,
                    train_loss=window_loss / window_steps,
                    val_loss=val_loss,
                    tokens_per_s=window_tokens / max(now - window_start, 1e-9),
                )
                log.append(record)
                last_val = f"{val_loss:.3f}"
                window_loss, window_steps, window_tokens, window_start = 0.0, 0, 0, now
                if val_loss < best:
                    best, best_state, bad_evals = val_loss, part.state(), 0
                else:
                    bad_evals += 1
                if on_eval is not None:
                    on_eval(record)
                if bad_evals >= config.patience:
                    stopped_early = True
                    break
            if window_steps:
                seconds = max(time.perf_counter() - window_start, 1e-9)
                bar.set_postfix(
                    loss=f"{window_loss / window_steps:.3f}",
                    val=last_val,
                    tok_s=f"{window_tokens / seconds:.0f}",
                    refresh=False,
                )
            bar.update(1)
            if out_of_time:
                break
    except KeyboardInterrupt:
        interrupted = True
        if validated != step:  # the steps since the last validation may be the best yet
            val_loss = _val_loss(model, part, val, config.batch_size, pad)
            if math.isfinite(val_loss) and val_loss < best:
                best, best_state = val_loss, part.state()
    finally:
        bar.close()
        model.train(was_training)
    part.restore(best_state)
    seconds = time.perf_counter() - start
    return TrainOutcome(
        steps=step,
        epochs=step / per_epoch,
        train_seconds=seconds,
        tokens_per_s=tokens / max(seconds, 1e-9),
        first_val_loss=first,
        best_val_loss=best,
        stopped_early=stopped_early,
        interrupted=interrupted,
        log=log,
        short_of_steps=_short_of_steps(config, step, total, seconds) if out_of_time else None,
    )


def _short_of_steps(config: TuningConfig, step: int, total: int, seconds: float) -> str | None:
    """What to tell a user whose time budget ended training before its planned steps: on a
    busy machine a run may manage a handful of steps and learn nothing, silently."""
    if step >= total:
        return None
    budget = (
        f"{config.max_seconds:g} s budget"
        if config.max_seconds is not None
        else f"{config.max_cpu_seconds:g} s CPU budget"
    )
    rate = step / max(seconds, 1e-9)
    return (
        f"tuning used its {budget} after {step} of {total} planned steps: at {rate:.2f} "
        f"steps/s the run needs about {total / max(rate, 1e-9):.0f} s. The step rate is low "
        "for this budget (a busy machine, or a large model or batch), so the adapter may have "
        "learned little; raise max_seconds, give more threads, or train on fewer examples"
    )


def _val_loss(
    model: Decoder, part: TunedPart, val: list[EncodedExample], batch_size: int, pad: int
) -> float:
    total, weight = 0.0, 0.0
    with torch.no_grad():
        for i in range(0, len(val), batch_size):
            inputs, targets, weights = collate(val[i : i + batch_size], pad, model.device)
            # Summed over every batch, then divided once: the mean over all weighted tokens.
            losses = token_losses(part.logits(model, inputs), targets)
            total += float((losses * weights).sum())
            weight += float(weights.sum())
    return total / weight


def exact_match(
    generator: Generator,
    examples: list[EncodedExample],
    batch_size: int = 32,
    *,
    progress: bool = False,
    desc: str = "exact match",
) -> float:
    """The fraction of ``examples`` whose greedy completion, stripped, equals the expected
    output, stripped. Generates in batches (through the KV prefix, if one is set), with a
    progress bar when ``progress``. When no output has a line break, a newline also ends a
    completion, as it would for an app that stops there: an untuned model is not failed only
    for running on."""
    if not examples:
        return 0.0
    one_line = not any("\n" in e.example.output for e in examples)
    stop = ["\n"] if one_line else None
    hits = 0
    context = generator.config.max_seq_len - generator.kv_prefix_len
    starts = range(0, len(examples), batch_size)
    for i in tqdm(starts, desc=desc, unit="batch", disable=not progress, leave=False):
        chunk = examples[i : i + batch_size]
        # The completion and its stop token; no more than the longest prompt leaves room for.
        wanted = max(len(e.target_ids) for e in chunk)
        room = context - max(len(e.prompt_ids) for e in chunk)
        outs = generator.generate_batch(
            [e.prompt_ids for e in chunk],
            max_tokens=max(1, min(wanted, room)),
            temperature=0.0,
            stop=stop,
        )
        hits += sum(
            out.text.strip() == e.example.output.strip() for out, e in zip(outs, chunk, strict=True)
        )
    return hits / len(examples)
