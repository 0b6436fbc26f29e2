"""A copy of the bundled model, damaged one thing at a time: each mistake is one ModelLoadError
that names the file and the key *as the checkpoint spells it* (num_hidden_layers, not our
n_layers), or the tensor, never a traceback from deep inside the loader."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import torch
from safetensors.torch import load_file, save_file

from promptcraft.errors import ModelLoadError
from promptcraft.nn import load_model
from promptcraft.utils.paths import bundled_models_dir

# Everything load_model reads (not the model card, evaluation or training logs).
_FILES = [
    "config.json",
    "generation_config.json",
    "model.safetensors",
    "tiktoken_config.json",
    "tokenizer.tiktoken",
    "tokenizer_config.json",
    "chat_template.jinja",
]


@pytest.fixture
def checkpoint(tmp_path: Path) -> Path:
    """A private copy of models/pc-tiny (a Llama-style checkpoint), free to damage."""
    source, target = bundled_models_dir() / "pc-tiny", tmp_path / "pc-tiny"
    target.mkdir()
    for name in _FILES:
        shutil.copyfile(source / name, target / name)
    return target


def _edit_json(path: Path, edit: Callable[[dict[str, Any]], object]) -> None:
    document = json.loads(path.read_text())
    edit(document)
    path.write_text(json.dumps(document))


def _set_config(checkpoint: Path, **changes: Any) -> None:
    _edit_json(checkpoint / "config.json", lambda config: config.update(changes))


def _edit_weights(checkpoint: Path, edit: Callable[[dict[str, torch.Tensor]], object]) -> None:
    tensors = load_file(checkpoint / "model.safetensors")
    edit(tensors)
    save_file(tensors, checkpoint / "model.safetensors", metadata={"format": "pt"})


def _load_error(checkpoint: Path) -> ModelLoadError:
    with pytest.raises(ModelLoadError) as info:
        load_model(checkpoint)
    return info.value


def test_a_missing_config_key_is_named_as_config_json_spells_it(checkpoint: Path) -> None:
    _edit_json(checkpoint / "config.json", lambda config: config.pop("num_hidden_layers"))
    error = _load_error(checkpoint)
    assert str(error) == f"{checkpoint / 'config.json'}: num_hidden_layers is missing " + (
        "(LlamaForCausalLM needs it)"
    )
    assert error.path == str(checkpoint / "config.json")


@pytest.mark.parametrize(
    ("key", "value", "problem"),
    [
        ("num_hidden_layers", "6", 'num_hidden_layers must be an integer, not "6"'),
        ("num_hidden_layers", 6.5, "num_hidden_layers must be an integer, not 6.5"),
        ("vocab_size", True, "vocab_size must be an integer, not true"),
        ("rms_norm_eps", "tiny", 'rms_norm_eps must be a number, not "tiny"'),
        ("tie_word_embeddings", "yes", 'tie_word_embeddings must be true or false, not "yes"'),
        ("attention_bias", "maybe", 'attention_bias must be true or false, not "maybe"'),
    ],
)
def test_a_config_value_of_the_wrong_type_is_named_by_its_key(
    checkpoint: Path, key: str, value: Any, problem: str
) -> None:
    _set_config(checkpoint, **{key: value})
    assert str(_load_error(checkpoint)).endswith(f"config.json: {problem}")


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"hidden_size": 0}, "hidden_size must be at least 1, not 0"),
        ({"num_key_value_heads": 0}, "num_key_value_heads must be at least 1, not 0"),
        ({"rms_norm_eps": -1}, "rms_norm_eps must be a positive number, not -1"),
        (
            {"num_key_value_heads": 4},
            "num_attention_heads (6) must be a multiple of num_key_value_heads (4)",
        ),
        ({"head_dim": 31}, "head_dim (31) must be even for rotary position embeddings"),
    ],
)
def test_a_config_value_out_of_range_is_named_by_its_key(
    checkpoint: Path, changes: dict[str, Any], problem: str
) -> None:
    _set_config(checkpoint, **changes)
    assert str(_load_error(checkpoint)).endswith(f"config.json: {problem}")


def test_rope_parameters_that_are_not_an_object_are_named(checkpoint: Path) -> None:
    _set_config(checkpoint, rope_parameters="default")
    message = str(_load_error(checkpoint))
    assert message.endswith('config.json: rope_parameters must be an object, not "default"')


def test_a_rope_scaling_problem_names_the_nested_key(checkpoint: Path) -> None:
    _set_config(checkpoint, rope_parameters={"rope_type": "linear", "factor": 0})
    message = str(_load_error(checkpoint))
    assert message.endswith("config.json: rope_parameters.factor must be a positive number, not 0")


def test_architectures_written_as_a_string_says_it_must_be_a_list(checkpoint: Path) -> None:
    _set_config(checkpoint, architectures="LlamaForCausalLM")
    assert "architectures must be a list of class names" in str(_load_error(checkpoint))


def test_a_token_id_from_generation_config_names_that_file(checkpoint: Path) -> None:
    _edit_json(checkpoint / "generation_config.json", lambda gen: gen.update(eos_token_id=99999))
    error = _load_error(checkpoint)
    assert str(error).startswith(
        f"{checkpoint / 'generation_config.json'}: eos_token_id 99999 is outside the vocabulary"
    )


def test_an_empty_eos_list_in_generation_config_keeps_those_of_config_json(
    checkpoint: Path,
) -> None:
    _edit_json(checkpoint / "generation_config.json", lambda gen: gen.update(eos_token_id=[]))
    model, _ = load_model(checkpoint)
    assert model.config.eos_token_ids == [2042, 2047]


def test_more_layers_in_config_than_in_the_weights_names_num_hidden_layers(
    checkpoint: Path,
) -> None:
    _set_config(checkpoint, num_hidden_layers=10**9)  # must fail at once, not lay out 1e9 blocks
    message = str(_load_error(checkpoint))
    assert "config.json: num_hidden_layers is 1000000000, but the weights" in message
    assert "hold 6 layers" in message


def test_a_context_too_long_to_allocate_is_a_config_error(checkpoint: Path) -> None:
    _set_config(checkpoint, max_position_embeddings=10**17)  # more bytes than any address space
    message = str(_load_error(checkpoint))
    assert "config.json: max_position_embeddings is 100000000000000000" in message
    assert "could not be allocated" in message


def test_a_dimension_that_disagrees_with_the_weights_names_its_config_key(
    checkpoint: Path,
) -> None:
    _set_config(checkpoint, intermediate_size=500)
    error = _load_error(checkpoint)
    assert re.search(
        r"has shape \[192, 512\], but config.json implies \[192, 500\] "
        r"\(500 = intermediate_size\)",
        str(error),
    )


def test_a_missing_lm_head_points_at_tie_word_embeddings(checkpoint: Path) -> None:
    _set_config(checkpoint, tie_word_embeddings=False)
    error = _load_error(checkpoint)
    assert error.tensor == "lm_head.weight"
    assert "config.json sets tie_word_embeddings to false" in str(error)


def test_an_integer_tensor_is_refused_naming_the_tensor_and_dtype(checkpoint: Path) -> None:
    name = "model.norm.weight"
    _edit_weights(checkpoint, lambda t: t.update({name: t[name].to(torch.int32)}))
    error = _load_error(checkpoint)
    assert error.tensor == name
    assert "holds I32 values, not floating-point weights" in str(error)


def test_nan_weights_are_refused_naming_the_tensor(checkpoint: Path) -> None:
    name = "model.layers.2.mlp.down_proj.weight"

    def poison(tensors: dict[str, torch.Tensor]) -> None:
        tensors[name][3, 4] = float("nan")

    _edit_weights(checkpoint, poison)
    error = _load_error(checkpoint)
    assert error.tensor == name
    assert "holds 1 NaN or infinite values" in str(error)


def test_a_chat_template_that_is_not_utf8_is_a_model_load_error(checkpoint: Path) -> None:
    (checkpoint / "chat_template.jinja").write_bytes(b"\xff\xfe{{ messages }}")
    error = _load_error(checkpoint)
    assert str(error) == f"{checkpoint / 'chat_template.jinja'}: not UTF-8 text (byte 0 is invalid)"


def test_a_chat_template_of_the_wrong_type_names_tokenizer_config(checkpoint: Path) -> None:
    (checkpoint / "chat_template.jinja").unlink()
    _edit_json(checkpoint / "tokenizer_config.json", lambda c: c.update(chat_template=5))
    message = str(_load_error(checkpoint))
    assert "tokenizer_config.json: chat_template must be a Jinja template string" in message


def test_add_bos_token_that_is_not_a_boolean_is_named(checkpoint: Path) -> None:
    _edit_json(checkpoint / "tokenizer_config.json", lambda c: c.update(add_bos_token="false"))
    message = str(_load_error(checkpoint))
    assert message.endswith(
        'tokenizer_config.json: add_bos_token must be true or false, not "false"'
    )


def test_a_tokenizer_larger_than_the_vocabulary_names_the_tokens_beyond_it(
    checkpoint: Path,
) -> None:
    _edit_json(
        checkpoint / "tiktoken_config.json",
        lambda c: c["special_tokens"].update({"<|end|>": 9999}),
    )
    message = str(_load_error(checkpoint))
    assert "the model embeds only 2048 (vocab_size in config.json)" in message
    assert "tokens beyond it: '<|end|>' (id 9999)" in message
