"""Constrained decoding on the bundled model: every output matches its constraint, whatever
the weights say (greedy or sampled, short budgets, streams, chat, batches)."""

from __future__ import annotations

import asyncio
import json

import pytest
import regex as regex_module
from pydantic import BaseModel, Field

from promptcraft.backends import LocalBackend, load_backend
from promptcraft.errors import InvalidRequestError
from promptcraft.structured import choices, compile_constraint, json_schema, regex

LABELS = ["positive", "negative", "neutral"]
CODE = r"[A-Z]{3}-[0-9]{4}"


class City(BaseModel):
    name: str = Field(max_length=24)
    population: int
    capital: bool


@pytest.mark.parametrize("seed", [None, 1, 2, 3])
def test_choices_output_is_one_of_the_options(bundled: LocalBackend, seed: int | None) -> None:
    sampling = {"temperature": 0.0} if seed is None else {"temperature": 1.0, "seed": seed}
    out = bundled.generate("Review: fine.\nSentiment:", constraint=choices(LABELS), **sampling)
    assert out.text.removeprefix(" ") in LABELS  # choices may start with one space
    assert out.finish_reason == "stop"


@pytest.mark.parametrize("seed", [None, 4, 5])
def test_regex_output_matches_the_pattern(bundled: LocalBackend, seed: int | None) -> None:
    sampling = {"temperature": 0.0} if seed is None else {"temperature": 1.2, "seed": seed}
    out = bundled.generate("Ticket code:", constraint=regex(CODE), max_tokens=20, **sampling)
    assert regex_module.fullmatch(CODE, out.text)


@pytest.mark.parametrize("seed", [None, 6, 7])
def test_json_schema_output_validates(bundled: LocalBackend, seed: int | None) -> None:
    sampling = {"temperature": 0.0} if seed is None else {"temperature": 1.0, "seed": seed}
    prompt = "Write the record as a JSON object.\nInput: name: Oslo; population: 700000\nOutput:"
    out = bundled.generate(prompt, constraint=json_schema(City), max_tokens=60, **sampling)
    City.model_validate_json(out.text)


def test_a_budget_just_above_the_minimum_still_completes(bundled: LocalBackend) -> None:
    constraint = json_schema(City)
    automaton = compile_constraint(
        constraint,
        bundled.tokenizer,
        vocab_size=bundled.decoder.config.vocab_size,
        eos_ids=sorted(bundled.generator.eos_ids),
    )
    budget = automaton.min_tokens + 2
    out = bundled.generate("{", constraint=constraint, max_tokens=budget, temperature=1.5, seed=0)
    City.model_validate_json(out.text)
    assert len(out.text) > 0 and out.usage.completion_tokens <= budget


def test_a_budget_below_the_minimum_is_refused_naming_max_tokens(bundled: LocalBackend) -> None:
    with pytest.raises(InvalidRequestError, match="needs at least") as info:
        bundled.generate("x", constraint=json_schema(City), max_tokens=2)
    assert info.value.field == "max_tokens"


def test_stop_strings_do_not_cut_a_constrained_output(bundled: LocalBackend) -> None:
    out = bundled.generate("City:", constraint=json_schema(City), stop=['"', ","], max_tokens=60)
    City.model_validate_json(out.text)


def test_streamed_chunks_join_into_the_generated_text(bundled: LocalBackend) -> None:
    params = {"constraint": regex(CODE), "max_tokens": 20, "temperature": 0.0}
    whole = bundled.generate("Code:", **params).text
    assert "".join(chunk.text for chunk in bundled.stream("Code:", **params)) == whole


def test_chat_output_follows_the_constraint(bundled: LocalBackend) -> None:
    assert bundled.capabilities.chat  # pc-tiny has a chat template
    messages = [{"role": "user", "content": "Is Paris in France?"}]
    out = bundled.chat(messages, constraint=choices(["yes", "no"]))
    assert out.text.removeprefix(" ") in ("yes", "no")


def test_async_generate_follows_the_constraint(bundled: LocalBackend) -> None:
    out = asyncio.run(bundled.agenerate("Code:", constraint=regex(CODE), max_tokens=20))
    assert regex_module.fullmatch(CODE, out.text)


def test_response_format_json_schema_constrains_local_output(bundled: LocalBackend) -> None:
    fmt = {
        "type": "json_schema",
        "json_schema": {"name": "City", "schema": City.model_json_schema()},
    }
    out = bundled.generate("City:", response_format=fmt, max_tokens=60)
    City.model_validate_json(out.text)


def test_response_format_json_object_gives_a_json_object(bundled: LocalBackend) -> None:
    out = bundled.generate("Data:", response_format={"type": "json_object"}, max_tokens=40)
    assert isinstance(json.loads(out.text), dict)


def test_every_row_of_a_batch_follows_the_constraint(bundled: LocalBackend) -> None:
    automaton = compile_constraint(
        regex(CODE),
        bundled.tokenizer,
        vocab_size=bundled.decoder.config.vocab_size,
        eos_ids=sorted(bundled.generator.eos_ids),
    )
    prompts = ["Code:", "Your ticket is", "Reference number for the order 42:"]
    outs = bundled.generator.generate_batch(prompts, max_tokens=20, constraint=automaton)
    assert all(regex_module.fullmatch(CODE, out.text) for out in outs)


def test_a_finished_match_with_no_continuation_stops_without_eos(bundled: LocalBackend) -> None:
    automaton = compile_constraint(
        choices(["yes", "no"]),
        bundled.tokenizer,
        vocab_size=bundled.decoder.config.vocab_size,
        eos_ids=sorted(bundled.generator.eos_ids),
    )
    out = bundled.generator.generate("Q: ok?\nA:", max_tokens=10, constraint=automaton)
    assert out.finish_reason == "stop"
    assert not set(out.token_ids) & bundled.generator.eos_ids


def test_a_constraint_must_be_a_constraint_object(bundled: LocalBackend) -> None:
    with pytest.raises(
        InvalidRequestError, match="choices\\(\\), regex\\(\\) or json_schema"
    ) as info:
        bundled.generate("x", constraint=r"[0-9]+")
    assert info.value.field == "constraint"


def test_backends_without_constrained_decoding_refuse_a_constraint() -> None:
    remote = load_backend("http://127.0.0.1:9/v1", model="any")
    with pytest.raises(InvalidRequestError, match="constrained_decoding") as info:
        remote.generate("x", constraint=choices(["a", "b"]))
    assert info.value.field == "constraint"


def test_local_backend_reports_constrained_decoding(bundled: LocalBackend) -> None:
    assert bundled.capabilities.constrained_decoding
    assert bundled.capabilities.response_format
