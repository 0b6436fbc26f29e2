"""Fields that OpenAI clients send besides the ones that shape the output: ``null`` for
unset options, bookkeeping fields, and messages as OpenAI returned them. They are answered,
not refused."""

from __future__ import annotations

from typing import Any

import httpx
from support.serving import RunningServer, post_chat, sse_events

CHAT = [{"role": "user", "content": "Translate to French: hello world."}]


def _chat(client: httpx.Client, server: RunningServer, **fields: Any) -> dict[str, Any]:
    return post_chat(client, server, **{"messages": CHAT, **fields})


def test_null_optional_fields_are_answered_like_unset_ones(
    client: httpx.Client, server: RunningServer
) -> None:
    nulls = {"stream": None, "logprobs": None, "n": None, "stop": None, "seed": None}
    plain = _chat(client, server)["choices"][0]["message"]["content"]
    assert _chat(client, server, **nulls)["choices"][0]["message"]["content"] == plain
    body = {
        "model": server.model,
        "prompt": "Hello",
        "max_tokens": 2,
        "echo": None,
        "stream": None,
        "stream_options": {"include_usage": None},
    }
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 200, response.text


def test_openai_bookkeeping_fields_are_accepted(
    client: httpx.Client, server: RunningServer
) -> None:
    fields = {
        "store": False,
        "metadata": {"session": "abc"},
        "service_tier": "auto",
        "prompt_cache_key": "translations",
        "safety_identifier": "user-1234",
        "user": "user-1234",
    }
    plain = _chat(client, server)["choices"][0]["message"]["content"]
    assert _chat(client, server, **fields)["choices"][0]["message"]["content"] == plain


def test_stream_options_include_obfuscation_is_accepted(
    client: httpx.Client, server: RunningServer
) -> None:
    body = {
        "model": server.model,
        "messages": CHAT,
        "max_tokens": 2,
        "stream": True,
        "stream_options": {"include_usage": True, "include_obfuscation": False},
    }
    with client.stream("POST", "/v1/chat/completions", json=body) as response:
        assert response.status_code == 200, response.read()
        events = sse_events(response)
    assert events[-1] == "[DONE]"
    assert events[-2]["usage"]["completion_tokens"] > 0


def test_chat_text_part_with_extra_keys_is_answered(
    client: httpx.Client, server: RunningServer
) -> None:
    # Some clients mark parts for caching: {"type": "text", "text": ..., "cache_control": ...}
    part = {"type": "text", "text": CHAT[0]["content"], "cache_control": {"type": "ephemeral"}}
    plain = _chat(client, server)["choices"][0]["message"]["content"]
    marked = _chat(client, server, messages=[{"role": "user", "content": [part]}])
    assert marked["choices"][0]["message"]["content"] == plain


def test_an_assistant_reply_sent_back_as_openai_returned_it_is_answered(
    client: httpx.Client, server: RunningServer
) -> None:
    reply = {"role": "assistant", "content": "Bonjour le monde.", "refusal": None}
    reply |= {"tool_calls": None}
    messages = [*CHAT, reply, {"role": "user", "content": "And in Spanish?"}]
    out = _chat(client, server, messages=messages)
    assert out["choices"][0]["message"]["role"] == "assistant"
