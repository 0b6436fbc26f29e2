"""Structured output over HTTP with a text prompt, against the real ``promptcraft serve`` on
loopback: as reliable as with messages, and never past the server's context."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel
from support.scripted_openai_server import Reply, ScriptedServer, chat_answer, text_answer
from support.serving import RunningServer, running_server

from promptcraft.backends import OpenAIBackend
from promptcraft.structured import generate_structured, generate_structured_result


class Person(BaseModel):
    name: str
    age: int


ASK = "Alice is 30 years old. Extract the person."
# The message promptcraft serve sends when a prompt and max_tokens do not fit its context.
TOO_LONG = (
    "max_tokens is 256, but the prompt has 300 tokens of the model's 512 context tokens, which "
    "leaves room for 212: lower max_tokens or shorten the prompt"
)


@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("serve") / "server.log"
    with running_server("pc-tiny", log_path=log) as server:
        yield server


def test_a_text_prompt_gets_valid_output_from_promptcraft_serve(
    tiny_server: RunningServer,
) -> None:
    with OpenAIBackend(tiny_server.model, base_url=tiny_server.base_url) as backend:
        result = generate_structured_result(backend, ASK, Person)
    # /v1/completions takes response_format, so the text prompt itself is constrained
    assert isinstance(result.output, Person)
    assert result.strategy == "response_format" and len(result.attempts) == 1


def test_a_long_text_prompt_stays_within_the_servers_context(tiny_server: RunningServer) -> None:
    prompt = "Notes: " + "the weather was mild and nothing happened. " * 15 + ASK  # ~300 tokens
    with OpenAIBackend(tiny_server.model, base_url=tiny_server.base_url) as backend:
        assert isinstance(generate_structured(backend, prompt, Person), Person)
        assert isinstance(
            generate_structured(backend, [{"role": "user", "content": prompt}], Person), Person
        )


def test_the_text_prompt_goes_to_chat_only_after_completions_refuses(
    server: ScriptedServer,
) -> None:
    refusal = {"error": {"message": "response_format is not supported", "param": "response_format"}}
    server.script(
        Reply(status=400, body=refusal),
        Reply(body=chat_answer('{"name": "Alice", "age": 30}')),
    )
    with OpenAIBackend("scripted", base_url=server.url) as backend:
        assert generate_structured(backend, ASK, Person) == Person(name="Alice", age=30)
    first, second = server.received
    assert first.path.endswith("/completions") and first.json["prompt"].endswith(ASK)
    assert second.path.endswith("/chat/completions")
    assert second.json["messages"][-1] == {"role": "user", "content": ASK}
    assert second.json["response_format"]["type"] == "json_schema"


def test_a_server_that_takes_response_format_on_completions_keeps_the_text_prompt(
    server: ScriptedServer,
) -> None:
    server.script(Reply(body=text_answer('{"name": "Alice", "age": 30}', finish_reason="stop")))
    with OpenAIBackend("scripted", base_url=server.url) as backend:
        assert generate_structured(backend, ASK, Person) == Person(name="Alice", age=30)
    (sent,) = server.received
    assert sent.path.endswith("/completions") and "response_format" in sent.json


def test_the_instructions_are_the_outline_not_the_schema(server: ScriptedServer) -> None:
    server.script(Reply(body=text_answer('{"name": "Alice", "age": 30}', finish_reason="stop")))
    with OpenAIBackend("scripted", base_url=server.url) as backend:
        generate_structured(backend, ASK, Person)
    prompt = server.received[0].json["prompt"]
    assert '{"name": string, "age": integer}' in prompt and "properties" not in prompt


def test_a_context_error_from_the_server_lowers_max_tokens_and_retries(
    server: ScriptedServer,
) -> None:
    refusal = {"error": {"message": "response_format is not supported", "param": "response_format"}}
    too_long = {"error": {"message": TOO_LONG, "code": "context_length_exceeded"}}
    server.script(
        Reply(status=400, body=refusal),  # completions: no response_format
        Reply(status=400, body=refusal),  # chat: none either, so prompted on completions
        Reply(status=400, body=too_long),  # full outline
        Reply(status=400, body=too_long),  # field names only
        Reply(body=text_answer('{"name": "Alice", "age": 30}', finish_reason="stop")),
    )
    with OpenAIBackend("scripted", base_url=server.url) as backend:
        result = generate_structured_result(backend, ASK, Person)
    assert result.strategy == "prompted" and result.output.age == 30
    # the second refusal says how much room is left (512 - 300), so the retry asks for that
    assert [r.json.get("max_tokens") for r in server.received[2:]] == [256, 256, 212]


def test_smollm2_extracts_a_person_over_http_from_a_text_prompt(tmp_path: Path) -> None:
    # about 17 s on 2 busy cores: most of it loading the model in the server
    with (
        running_server("smollm2", log_path=tmp_path / "server.log") as live,
        OpenAIBackend(live.model, base_url=live.base_url) as backend,
    ):
        person = generate_structured(
            backend, "Extract the person: Maria Lopez is 34 years old.", Person, temperature=0
        )
    assert person == Person(name="Maria Lopez", age=34)
