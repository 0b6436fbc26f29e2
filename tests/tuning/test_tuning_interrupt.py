"""Ctrl-C during tuning keeps what was learned, and says where it went."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.tuning import label_task

from promptcraft.nn import Decoder
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning import TuningInterrupted, load_adapter, run_tuning
from promptcraft.tuning.trainer import TrainLog


def _interrupt_at(step: int) -> Callable[[TrainLog], None]:
    def on_eval(log: TrainLog) -> None:
        if log.step == step:
            raise KeyboardInterrupt

    return on_eval


def _tune(
    tmp_path: Path, model: Decoder, tokenizer: Tokenizer, template: PrefixPrompt, **options: object
) -> None:
    run_tuning(
        "prompt",
        data=label_task(16, seed=0),
        template=template,
        model=(model, tokenizer),
        out=tmp_path / "label",
        max_steps=20,
        batch_size=4,
        virtual_tokens=4,
        eval_every=1,
        progress=False,
        **options,  # type: ignore[arg-type]
    )


def test_ctrl_c_saves_the_best_adapter_so_far_and_says_where(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(TuningInterrupted) as info:
        _tune(tmp_path, tiny_model(), bundled_tokenizer, label_template, on_eval=_interrupt_at(3))
    report = info.value.report
    assert report is not None and report.outcome.steps == 3
    adapter = load_adapter(report.adapter)
    assert adapter.info.interrupted and adapter.info.steps == 3
    assert adapter.info.best_val_loss < report.outcome.first_val_loss
    message = capsys.readouterr().err
    assert "saved the best adapter so far (validation loss" in message
    assert f"to {report.adapter}" in message
    assert isinstance(info.value, KeyboardInterrupt)  # still a Ctrl-C to whoever called


def test_ctrl_c_before_any_improvement_saves_nothing(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    # lr 1e-12 moves no float32 weight: the validation loss cannot improve
    with pytest.raises(TuningInterrupted, match="no adapter saved") as info:
        _tune(
            tmp_path,
            tiny_model(),
            bundled_tokenizer,
            label_template,
            lr=1e-12,
            on_eval=_interrupt_at(1),
        )
    assert info.value.report is None
    assert not (tmp_path / "label.safetensors").exists()
