"""generate_structured: typed output on the local model (constrained) and on remote servers
(response_format or prompted JSON), with validation failures fed back as retries."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from pydantic import BaseModel, Field, field_validator
from support.scripted_openai_server import Reply, ScriptedServer, chat_answer

from promptcraft.backends import LocalBackend, OpenAIBackend
from promptcraft.errors import ConstraintError, StructuredOutputError
from promptcraft.structured import (
    agenerate_structured,
    choices,
    generate_structured,
    generate_structured_result,
)

ASK = [{"role": "user", "content": "Extract the city: Oslo, 700000 people."}]
PROMPT = "Write the record as a JSON object.\nInput: name: Oslo; population: 700000\nOutput:"


class City(BaseModel):
    name: str = Field(max_length=24)
    population: int


class NeverValid(BaseModel):
    name: str = Field(max_length=12)

    @field_validator("name")
    @classmethod
    def _reject(cls, value: str) -> str:
        raise ValueError("this name is not accepted")


@pytest.fixture
def remote(server: ScriptedServer) -> Iterator[OpenAIBackend]:
    with OpenAIBackend("scripted-model", base_url=server.url) as live:
        yield live


# --- local: constrained decoding -----------------------------------------------------------------


def test_local_output_is_an_instance_of_the_model(bundled: LocalBackend) -> None:
    city = generate_structured(bundled, PROMPT, City, max_tokens=60)
    assert isinstance(city, City)


def test_local_result_reports_the_constrained_strategy_and_usage(bundled: LocalBackend) -> None:
    result = generate_structured_result(bundled, PROMPT, City, max_tokens=60)
    assert result.strategy == "constrained"
    assert len(result.attempts) == 1 and result.attempts[0].error is None
    assert result.usage == result.attempts[0].usage


def test_local_validation_failures_are_retried_then_raised(bundled: LocalBackend) -> None:
    with pytest.raises(StructuredOutputError, match="this name is not accepted") as info:
        generate_structured(bundled, PROMPT, NeverValid, retries=1, max_tokens=40)
    error = info.value
    assert len(error.outputs) == len(error.errors) == 2
    assert all("name" in json.loads(out) for out in error.outputs)  # valid JSON, wrong value
    assert error.usage is not None and error.usage.completion_tokens > 0


def test_each_retry_prompt_carries_the_validation_message(bundled: LocalBackend) -> None:
    seen: list[str] = []
    original = bundled.generate

    def spy(prompt: str, *args: object, **kwargs: object) -> object:
        seen.append(prompt)
        return original(prompt, *args, **kwargs)  # type: ignore[arg-type]

    bundled.generate = spy  # type: ignore[method-assign]
    try:
        with pytest.raises(StructuredOutputError):
            generate_structured(bundled, PROMPT, NeverValid, retries=1, max_tokens=40)
    finally:
        del bundled.generate
    assert len(seen) == 2 and seen[1].startswith(seen[0])
    assert "this name is not accepted" in seen[1]


def test_choices_on_the_local_model_return_one_option(bundled: LocalBackend) -> None:
    label = generate_structured(bundled, "Review: great.\nSentiment:", ["good", "bad"])
    assert label in ("good", "bad")


# --- remote: response_format, prompted JSON, retries ------------------------------------------


def test_remote_sends_response_format_with_the_schema(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer('{"name": "Oslo", "population": 700000}')))
    assert generate_structured(remote, ASK, City) == City(name="Oslo", population=700000)
    sent = server.received[0].json["response_format"]
    assert sent["type"] == "json_schema"
    assert sent["json_schema"]["schema"] == City.model_json_schema()


def test_remote_invalid_output_is_fed_back_and_retried(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(body=chat_answer('{"name": "Oslo", "population": "many"}', usage=(20, 9))),
        Reply(body=chat_answer('{"name": "Oslo", "population": 700000}', usage=(40, 9))),
    )
    result = generate_structured_result(remote, ASK, City)
    assert result.output.population == 700000
    retry = server.received[1].json["messages"]
    assert retry[-2] == {"role": "assistant", "content": '{"name": "Oslo", "population": "many"}'}
    assert "population" in retry[-1]["content"] and retry[-1]["role"] == "user"


def test_remote_retries_count_every_attempts_tokens(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(body=chat_answer("not json", usage=(20, 3))),
        Reply(body=chat_answer('{"name": "Oslo", "population": 1}', usage=(30, 9))),
    )
    result = generate_structured_result(remote, ASK, City)
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (50, 12)


def test_remote_error_after_the_budget_carries_outputs_and_messages(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(*(Reply(body=chat_answer(f"nope {i}", usage=(10, 2))) for i in range(3)))
    with pytest.raises(StructuredOutputError, match="after 3 attempts") as info:
        generate_structured(remote, ASK, City, retries=2)
    assert info.value.outputs == ["nope 0", "nope 1", "nope 2"]
    assert all("not valid JSON" in message for message in info.value.errors)
    assert info.value.usage is not None and info.value.usage.total_tokens == 36
    assert len(server.received) == 3


def test_a_server_refusing_response_format_gets_prompted_json(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    refusal = {"error": {"message": "response_format is not supported", "param": "response_format"}}
    server.script(
        Reply(status=400, body=refusal),
        Reply(body=chat_answer('```json\n{"name": "Oslo", "population": 2}\n```')),
    )
    result = generate_structured_result(remote, ASK, City)
    assert result.strategy == "prompted" and result.output.population == 2
    second = server.received[1].json
    assert "response_format" not in second
    assert second["messages"][0]["role"] == "system"
    assert '{"name": string, "population": integer}' in second["messages"][0]["content"]


def test_remote_choices_are_prompted_and_parsed(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer("Positive.")))
    assert generate_structured(remote, ASK, choices(["positive", "negative"])) == "positive"
    assert "- negative" in server.received[0].json["messages"][0]["content"]


def test_invalid_schema_fails_before_any_request(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script()
    with pytest.raises(ConstraintError, match="invalid JSON schema"):
        generate_structured(remote, ASK, {"type": "object", "required": "name"})
    assert server.received == []


def test_remote_accepts_schemas_constrained_decoding_cannot_enforce(
    remote: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer("42")))
    assert generate_structured(remote, ASK, {"not": {"type": "string"}}) == 42


def test_async_twin_returns_the_same_value(remote: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer('{"name": "Oslo", "population": 5}')))
    city = asyncio.run(agenerate_structured(remote, ASK, City))
    assert city == City(name="Oslo", population=5)
