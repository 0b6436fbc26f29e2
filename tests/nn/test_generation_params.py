"""GenerationParams: defaults, accepted spellings and range checks."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from promptcraft.types import GenerationParams


def test_defaults_sample_with_temperature_one() -> None:
    params = GenerationParams()
    assert (params.temperature, params.top_p, params.max_tokens) == (1.0, 1.0, 256)
    assert not params.greedy


def test_temperature_zero_is_greedy() -> None:
    assert GenerationParams(temperature=0).greedy


def test_single_stop_string_becomes_a_list() -> None:
    assert GenerationParams(stop="\n").stop == ["\n"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("temperature", -0.1, "greater than or equal to 0"),
        ("top_p", 0.0, "greater than 0"),
        ("top_p", 1.5, "less than or equal to 1"),
        ("top_k", 0, "greater than or equal to 1"),
        ("min_p", 2.0, "less than or equal to 1"),
        ("max_tokens", 0, "greater than or equal to 1"),
        ("repetition_penalty", 0.0, "greater than 0"),
        ("logprobs", 21, "less than or equal to 20"),
        ("stop", [""], "must not be empty"),
    ],
)
def test_out_of_range_values_name_the_field(field, value, message) -> None:
    with pytest.raises(ValidationError, match=message) as info:
        GenerationParams(**{field: value})
    assert info.value.errors()[0]["loc"][:1] == (field,)


def test_min_tokens_may_not_exceed_max_tokens() -> None:
    with pytest.raises(ValidationError, match=r"min_tokens \(9\) must not exceed max_tokens \(8\)"):
        GenerationParams(max_tokens=8, min_tokens=9)


def test_misspelt_parameter_is_an_error() -> None:
    with pytest.raises(ValidationError, match="temprature"):
        GenerationParams(temprature=0.5)  # type: ignore[call-arg]


def test_params_module_does_not_import_torch() -> None:
    code = "import sys, promptcraft.types; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
