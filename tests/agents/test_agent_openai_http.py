"""The agent through OpenAIBackend over real HTTP, against the scripted OpenAI-compatible
server of the backend tests: native tool calls on the wire, and the fallback to the text
protocol when a server refuses ``tools`` (as ``promptcraft serve`` does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import support.scripted_openai_server as scripted

from promptcraft.agents import Agent, calculator
from promptcraft.backends import OpenAIBackend

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def server() -> Iterator[Any]:
    with scripted.running(scripted.ScriptedServer()) as live:
        yield live


@pytest.fixture
def backend(server: Any) -> Iterator[OpenAIBackend]:
    with OpenAIBackend("scripted-model", base_url=server.url, api_key="sk-secret-0123456789") as b:
        yield b


def tool_call_stream(call_id: str, name: str, arguments: dict) -> Any:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": ""}}
    return scripted.Reply(
        events=[
            scripted.chat_delta(tool_calls=[{"index": 0, **call}]),
            scripted.chat_delta(
                tool_calls=[{"index": 0, "function": {"arguments": json.dumps(arguments)}}]
            ),
            scripted.chat_delta(finish_reason="tool_calls"),
            scripted.usage_event(20, 9),
            "[DONE]",
        ]
    )


def text_stream(text: str, *, chat: bool = True) -> Any:
    if chat:
        events = [scripted.chat_delta(content=text), scripted.chat_delta(finish_reason="stop")]
    else:
        events = [
            {"object": "text_completion", "choices": [{"index": 0, "text": text}]},
            {
                "object": "text_completion",
                "choices": [{"index": 0, "text": "", "finish_reason": "stop"}],
            },
        ]
    return scripted.Reply(events=[*events, scripted.usage_event(30, 4), "[DONE]"])


def test_native_tool_call_round_trip_over_http(backend: OpenAIBackend, server: Any) -> None:
    server.script(
        tool_call_stream("call_7", "calculator", {"expression": "6*7"}), text_stream("It is 42.")
    )
    result = Agent(backend, tools=[calculator]).run("What is 6 times 7?")
    assert result.output == "It is 42."
    first, second = (r.json for r in server.received)
    assert first["tools"][0]["function"]["name"] == "calculator"
    assert second["messages"][-2]["tool_calls"] == [
        {
            "id": "call_7",
            "type": "function",
            "function": {"name": "calculator", "arguments": '{"expression": "6*7"}'},
        }
    ]
    assert second["messages"][-1] == {"role": "tool", "content": "42", "tool_call_id": "call_7"}


def test_usage_over_http_sums_the_servers_counts(backend: OpenAIBackend, server: Any) -> None:
    server.script(tool_call_stream("c1", "calculator", {"expression": "1+1"}), text_stream("Two."))
    result = Agent(backend, tools=[calculator]).run("1 plus 1?")
    assert (result.usage.prompt_tokens, result.usage.completion_tokens) == (50, 13)


def test_server_refusing_tools_switches_the_run_to_the_text_protocol(
    backend: OpenAIBackend, server: Any, tmp_path: Any
) -> None:
    refusal = {
        "error": {
            "message": "tools are not supported by this server's chat API",
            "type": "invalid_request_error",
            "param": "tools",
            "code": "unsupported_parameter",
        }
    }
    server.script(
        scripted.Reply(status=400, body=refusal),
        text_stream('Action: {"tool": "calculator", "args": {"expression": "6*7"}}', chat=False),
        text_stream("Answer: 42", chat=False),
    )
    trace = tmp_path / "trace.jsonl"
    result = Agent(backend, tools=[calculator], trace=trace).run("What is 6 times 7?")
    assert result.output == "42"
    assert [s.protocol for s in result.steps] == ["text", "text"]
    assert [r.path for r in server.received] == [
        "/v1/chat/completions",
        "/v1/completions",
        "/v1/completions",
    ]
    assert "protocol_fallback" in trace.read_text(encoding="utf-8")


def test_api_key_never_reaches_the_trace(
    backend: OpenAIBackend, server: Any, tmp_path: Any
) -> None:
    server.script(text_stream("Hello."))
    trace = tmp_path / "trace.jsonl"
    Agent(backend, tools=[calculator], trace=trace).run("Hi")
    assert "sk-secret-0123456789" not in trace.read_text(encoding="utf-8")


def test_after_a_refusal_the_agent_starts_with_the_text_protocol(
    backend: OpenAIBackend, server: Any
) -> None:
    refusal = {"error": {"message": "tools are not supported", "param": "tools"}}
    server.script(
        scripted.Reply(status=400, body=refusal),
        text_stream("Answer: 1", chat=False),
        text_stream("Answer: 2", chat=False),
    )
    agent = Agent(backend, tools=[calculator])
    agent.run("One?")
    assert agent.run("Two?").output == "2"
    assert [r.path for r in server.received][-1] == "/v1/completions"
    assert len(server.received) == 3
