"""Realistic mistakes in tuning data and options: each is one clear error, before training."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support.tuning import QUICK, label_task

import promptcraft as pc
from promptcraft.errors import TuningConfigError, TuningDataError
from promptcraft.nn import Decoder
from promptcraft.nn.precision import Quantization
from promptcraft.nn.quantized import quantize_linears
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning import read_examples, run_tuning
from promptcraft.tuning.data import render_example, split_examples


def test_conflicting_examples_are_refused_naming_both_lines(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_text(
        '{"input": "red cat", "output": "zap"}\n'
        '{"input": "blue dog", "output": "mop"}\n'
        '{"input": "red cat", "output": "mop"}\n',
        encoding="utf-8",
    )
    with pytest.raises(TuningDataError, match=f"same input as {path}:1") as info:
        read_examples(path)
    assert (info.value.path, info.value.line) == (str(path), 3)


def test_repeated_inputs_stay_on_one_side_of_the_split() -> None:
    rows = [{"input": f"item {i % 5}", "output": f"tag {i % 5}"} for i in range(20)]
    train, val = split_examples(read_examples(rows), 0.2, seed=0)
    assert {e.input for e in train}.isdisjoint({e.input for e in val})
    assert len(val) == 4  # the share asked for: one input, with its four copies


def test_examples_with_one_distinct_input_are_refused() -> None:
    examples = read_examples([{"input": "same", "output": "x"}] * 5)
    with pytest.raises(TuningDataError, match="all have the same input"):
        split_examples(examples, 0.5, seed=0)


def test_test_example_that_is_also_trained_on_is_refused(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    train = label_task(10, seed=0)
    with pytest.raises(TuningDataError, match="same input as training example") as info:
        run_tuning(
            "prompt",
            data=train,
            test_data=[{"input": "green owl", "output": "zip"}, train[3]],
            model=(tiny_model(), bundled_tokenizer),
            **QUICK,
        )
    assert info.value.line == 2


def test_a_quantised_model_is_refused_before_training(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    quantised = quantize_linears(tiny_model(), Quantization(bits=4))
    with pytest.raises(TuningConfigError, match=r"quantised weights .* tune the float") as info:
        run_tuning("prompt", data=label_task(10, seed=0), model=(quantised, bundled_tokenizer))
    assert info.value.field == "model"


def test_unknown_tuning_option_is_refused_naming_it() -> None:
    with pytest.raises(TuningConfigError, match="did you mean 'max_steps'") as info:
        run_tuning("prompt", data=label_task(10, seed=0), max_step=5)
    assert info.value.field == "max_step"


def test_out_of_range_option_names_the_field() -> None:
    with pytest.raises(TuningConfigError, match=r"^lr: input should be greater than 0") as info:
        run_tuning("prompt", data=label_task(10, seed=0), lr=0)
    assert info.value.field == "lr"


def test_unknown_method_is_refused_naming_the_methods() -> None:
    with pytest.raises(TuningConfigError, match="use one of prompt, prefix") as info:
        run_tuning("lora", data=label_task(10, seed=0))  # type: ignore[arg-type]
    assert info.value.field == "method"


def test_virtual_tokens_that_fill_the_context_name_the_option(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    with pytest.raises(TuningConfigError, match="leave no room") as info:
        run_tuning(
            "prefix",
            data=label_task(10, seed=0),
            model=(model, bundled_tokenizer),
            **{**QUICK, "virtual_tokens": model.config.max_seq_len},
        )
    assert info.value.field == "virtual_tokens"


def test_adapter_path_that_is_a_folder_is_refused_before_training(tmp_path: Path) -> None:
    with pytest.raises(TuningConfigError, match="is a folder") as info:
        run_tuning("prompt", data=label_task(10, seed=0), model="pc-tiny", out=tmp_path, **QUICK)
    assert info.value.field == "out"


def test_diverging_loss_is_refused_and_leaves_the_weights_as_they_were(
    tmp_path: Path,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    model = tiny_model()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    with pytest.raises(TuningConfigError, match="training diverged") as info:
        run_tuning(
            "ffn",
            data=label_task(12, seed=0),
            template=label_template,
            model=(model, bundled_tokenizer),
            out=tmp_path / "ffn",
            **{**QUICK, "max_steps": 6, "lr": 1e30, "eval_every": 1, "patience": 10},
        )
    assert info.value.field == "lr"
    assert all(p.equal(before[n]) for n, p in model.named_parameters())
    assert not (tmp_path / "ffn.safetensors").exists()


def test_string_input_for_a_template_of_several_inputs_says_to_give_an_object() -> None:
    template = pc.PrefixPrompt("Translate {{ text }} into {{ language }}.", name="translate")
    (example,) = read_examples([{"input": "hello", "output": "bonjour"}])
    with pytest.raises(TuningDataError, match="give an object with the template's inputs"):
        render_example(template, example)


def test_a_budget_that_ends_training_early_warns_that_the_step_rate_is_low(
    tmp_path: Path, tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    options = {**QUICK, "max_steps": 50, "max_seconds": 0.001}
    with pytest.warns(RuntimeWarning, match=r"after 1 of 50 planned steps: .*The step rate is low"):
        report = run_tuning(
            "prompt",
            data=label_task(20, seed=0),
            model=(tiny_model(), bundled_tokenizer),
            out=tmp_path / "a",
            **options,
        )
    assert report.outcome.short_of_steps is not None
