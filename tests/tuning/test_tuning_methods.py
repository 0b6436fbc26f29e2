"""Each method trains what it names and nothing else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from support.tuning import label_task

from promptcraft.errors import TuningConfigError
from promptcraft.nn import Decoder, Generator
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning.data import read_examples
from promptcraft.tuning.encode import encode_examples
from promptcraft.tuning.methods import METHODS, TuningMethod, make_tuned_part
from promptcraft.tuning.trainer import TuningConfig, train_part


def _train_briefly(
    model: Decoder, tokenizer: Tokenizer, template: PrefixPrompt, method: TuningMethod
) -> int:
    generator = Generator(model, tokenizer)
    generator.generate("warm up the fast layout", max_tokens=1)  # as a tuned app would
    encoded = encode_examples(read_examples(label_task(12, seed=0)), template, generator)
    part = make_tuned_part(model, method, init_ids=[5, 6, 7, 8], top_layers=1)
    config = TuningConfig(max_steps=3, batch_size=4, lr=1e-2, progress=False, eval_every=1)
    train_part(model, part, encoded[:8], encoded[8:], config)
    return part.trained_params


def _weights(model: Decoder) -> dict[str, torch.Tensor]:
    return {name: p.detach().clone() for name, p in model.named_parameters()}


@pytest.mark.parametrize("method", METHODS)
def test_method_leaves_frozen_weights_bit_identical(
    method: TuningMethod,
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    label_template: PrefixPrompt,
) -> None:
    model = tiny_model()
    before = _weights(model)
    _train_briefly(model, bundled_tokenizer, label_template, method)
    changed = {name for name, p in model.named_parameters() if not torch.equal(p, before[name])}
    expected = {
        "prompt": set(),
        "prefix": set(),
        "ffn": {n for n in before if ".mlp." in n},
        "top_layers": {n for n in before if n.startswith("layers.1.")},
        "full": set(before),
    }[method]
    assert changed == expected


@pytest.mark.parametrize(
    ("method", "count"),
    [
        ("prompt", lambda m: 4 * m.config.dim),
        ("ffn", lambda m: sum(p.numel() for n, p in m.named_parameters() if ".mlp." in n)),
        ("full", lambda m: sum(p.numel() for p in m.parameters())),
    ],
)
def test_method_reports_the_parameters_it_trains(
    method: TuningMethod,
    count: Callable[[Decoder], int],
    tiny_model: Callable[..., Decoder],
) -> None:
    model = tiny_model()
    part = make_tuned_part(model, method, init_ids=[5, 6, 7, 8], top_layers=1)
    assert part.trained_params == count(model)
    assert part.trained_params == sum(p.numel() for p in part.parameters() if p.requires_grad)


def test_top_layers_trains_the_top_blocks_only(tiny_model: Callable[..., Decoder]) -> None:
    model = tiny_model()
    make_tuned_part(model, "top_layers", init_ids=[], top_layers=1)
    trainable = {n.split(".")[1] for n, p in model.named_parameters() if p.requires_grad}
    assert trainable == {"1"}


def test_more_top_layers_than_the_model_has_names_the_option(
    tiny_model: Callable[..., Decoder],
) -> None:
    model = tiny_model()
    with pytest.raises(TuningConfigError, match="top_layers: must be between 1 and") as raised:
        make_tuned_part(model, "top_layers", init_ids=[5], top_layers=99)
    assert raised.value.field == "top_layers"
