"""One architecture record per family, looked up by ``ModelConfig.family``: the decoder,
the config checks and both checkpoint formats read it, and no module branches on a family's
name."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from promptcraft.nn import Decoder, ModelConfig
from promptcraft.nn.architectures import (
    REGISTRY,
    architecture_of,
    families,
    from_gguf_architecture,
    from_hf_architecture,
)
from promptcraft.nn.loaders import gguf_config, hf_config

PACKAGE = Path(__file__).resolve().parents[2] / "promptcraft"


def _config(family: str, **changes: object) -> ModelConfig:
    fields: dict[str, object] = {
        "family": family,
        "vocab_size": 50,
        "dim": 16,
        "n_layers": 1,
        "n_heads": 2,
        "n_kv_heads": 2,
        "head_dim": 8,
        "hidden_dim": 32,
        "max_seq_len": 16,
        "norm_eps": 1e-5,
        "activation": "gelu_tanh" if family == "gpt2" else "silu",
    }
    if family == "gpt2":  # as its checkpoints always say
        fields.update(qkv_bias=True, out_bias=True, mlp_bias=True)
    fields.update(changes)
    return ModelConfig.model_validate(fields)


def test_every_family_is_registered_under_its_own_name() -> None:
    assert families() == ("gpt2", "llama")
    for family, design in REGISTRY.items():
        assert design.family == family
        assert architecture_of(family) is design
        assert _config(family).architecture is design


def test_an_unknown_family_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(ValidationError, match=r"unknown model family 'gptj'; known: gpt2, llama"):
        _config("gptj")


def test_checkpoint_names_of_each_family_come_from_its_architecture() -> None:
    assert from_hf_architecture("Qwen2ForCausalLM") is REGISTRY["llama"]
    assert from_hf_architecture("GPT2LMHeadModel") is REGISTRY["gpt2"]
    assert from_hf_architecture("BertModel") is None
    assert from_gguf_architecture("qwen2") is REGISTRY["llama"]
    assert hf_config.ARCHITECTURES == {
        "GPT2LMHeadModel": "gpt2",
        "LlamaForCausalLM": "llama",
        "MistralForCausalLM": "llama",
        "Qwen2ForCausalLM": "llama",
    }
    assert gguf_config.ARCHITECTURES == {"gpt2": "gpt2", "llama": "llama", "qwen2": "llama"}


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_the_decoder_builds_the_design_its_architecture_describes(family: str) -> None:
    design = architecture_of(family)
    model = Decoder(_config(family))
    assert (model.pos_emb is not None) == (design.positions == "learned")
    assert (model.rope_cos is not None) == (design.positions == "rope")
    norms = {"layernorm": "LayerNorm", "rmsnorm": "RMSNorm"}
    assert type(model.norm).__name__ == norms[design.norm]
    assert model.layers[0].mlp.gated == design.gated_mlp
    names = {piece.name for piece in design.hf_layout(model.config, False)}
    assert names == {name for name, _ in model.named_parameters()}


def test_config_checks_are_the_architectures() -> None:
    with pytest.raises(ValidationError, match="gpt2 family has no grouped-query attention"):
        _config("gpt2", n_kv_heads=1)
    with pytest.raises(ValidationError, match="gpt2 family uses a GELU activation"):
        _config("gpt2", activation="silu")
    with pytest.raises(ValidationError, match="llama family uses the SwiGLU"):
        _config("llama", activation="gelu")
    with pytest.raises(ValidationError, match="RoPE needs an even head_dim"):
        _config("llama", head_dim=7)
    assert _config("llama", n_kv_heads=1).n_kv_heads == 1  # grouped-query attention


def test_no_engine_module_branches_on_a_family_name() -> None:
    """A new family is a new module in nn/architectures plus one registry line: nothing else
    compares ``family`` with a name."""
    pattern = re.compile(r"family\s*[!=]=\s*[\"']|[\"'](gpt2|llama)[\"']\s*[!=]=\s*\S*family")
    offenders = [
        f"{path.relative_to(PACKAGE)}:{number}"
        for path in sorted((PACKAGE / "nn").rglob("*.py"))
        if "architectures" not in path.parts
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []


def test_the_architectures_and_the_config_import_no_torch() -> None:
    code = (
        "import sys; from promptcraft.nn.config import ModelConfig; "
        "import promptcraft.nn.architectures; print('torch' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
