"""Generation parameters are validated before any work, with errors that name the field."""

from __future__ import annotations

from typing import Any

import pytest

from promptcraft.backends import GenerationParams, LocalBackend
from promptcraft.errors import InvalidRequestError

GREEDY: dict[str, Any] = {"temperature": 0.0}


def test_unknown_parameter_is_named_with_a_suggestion(backend: LocalBackend) -> None:
    hint = r"'temprature' \(did you mean 'temperature'\?\)"
    with pytest.raises(InvalidRequestError, match=hint) as info:
        backend.generate("hello", temprature=0.5)
    assert info.value.field == "temprature"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"temperature": -1.0}, "temperature"),
        ({"top_p": 1.5}, "top_p"),
        ({"max_tokens": 0}, "max_tokens"),
        ({"logprobs": 50}, "logprobs"),
        ({"seed": 2**70}, "seed"),
    ],
)
def test_out_of_range_parameter_is_named(
    backend: LocalBackend, params: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidRequestError, match=f"generation parameter '{field}'") as info:
        backend.generate("hello", **params)
    assert info.value.field == field


def test_parameters_that_contradict_each_other_are_rejected(backend: LocalBackend) -> None:
    with pytest.raises(InvalidRequestError, match=r"min_tokens \(5\) must not exceed max_tokens"):
        backend.generate("hello", max_tokens=3, min_tokens=5)


def test_invalid_request_error_is_also_a_value_error(backend: LocalBackend) -> None:
    with pytest.raises(ValueError):
        backend.stream("hello", top_k=0)


def test_keyword_parameters_override_a_params_object(backend: LocalBackend) -> None:
    base = GenerationParams(max_tokens=20, temperature=0.0)
    out = backend.generate("hello", base, max_tokens=4)
    assert out.usage.completion_tokens == 4


def test_params_may_be_a_mapping(backend: LocalBackend) -> None:
    out = backend.generate("hello", {"max_tokens": 3, "temperature": 0.0})
    assert out.usage.completion_tokens == 3


def test_a_single_stop_string_is_accepted(backend: LocalBackend) -> None:
    free = backend.generate("hello", max_tokens=20, **GREEDY).text
    out = backend.generate("hello", max_tokens=20, stop=free[4:6], **GREEDY)
    assert out.text == free[: free.index(free[4:6])]


def test_seeded_sampling_repeats(backend: LocalBackend) -> None:
    first = backend.generate("hello", max_tokens=12, temperature=1.0, seed=7)
    second = backend.generate("hello", max_tokens=12, temperature=1.0, seed=7)
    assert first.text == second.text


@pytest.mark.parametrize("field", ["temperature", "repetition_penalty"])
def test_an_infinite_float_parameter_is_rejected_by_name(backend: LocalBackend, field: str) -> None:
    with pytest.raises(InvalidRequestError, match=f"'{field}': Input should be a finite") as info:
        backend.generate("hello", **{field: float("inf")})
    assert info.value.field == field


def test_a_boolean_for_a_count_is_rejected_not_read_as_one(backend: LocalBackend) -> None:
    with pytest.raises(InvalidRequestError, match="'max_tokens': expected a number, not a boolean"):
        backend.generate("hello", max_tokens=True)


def test_logprobs_true_is_rejected_with_the_openai_equivalent(backend: LocalBackend) -> None:
    with pytest.raises(InvalidRequestError, match=r"logprobs=true .* is logprobs=0") as info:
        backend.generate("hello", logprobs=True)
    assert info.value.field == "logprobs"
