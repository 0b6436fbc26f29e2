"""Streaming over server-sent events, and what a client that leaves mid-stream does."""

from __future__ import annotations

import time
from typing import Any

import httpx
from support.serving import RunningServer, sse_events

PROMPT = "Summarize: the meeting moved to Tuesday because the room was booked."
CHAT = [{"role": "user", "content": "Question: what is two plus two?"}]


def _stream(client: httpx.Client, path: str, body: dict[str, Any]) -> list[Any]:
    with client.stream("POST", path, json={**body, "stream": True}) as response:
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        return sse_events(response)


def _completion_body(server: RunningServer, **fields: Any) -> dict[str, Any]:
    return {"model": server.model, "prompt": PROMPT, "max_tokens": 10, "temperature": 0, **fields}


def _chat_body(server: RunningServer, **fields: Any) -> dict[str, Any]:
    return {"model": server.model, "messages": CHAT, "max_tokens": 10, "temperature": 0, **fields}


def test_completion_stream_ends_with_done(client: httpx.Client, server: RunningServer) -> None:
    events = _stream(client, "/v1/completions", _completion_body(server))
    assert events[-1] == "[DONE]"
    assert "[DONE]" not in events[:-1]
    assert all(e["object"] == "text_completion" for e in events[:-1])
    assert len({e["id"] for e in events[:-1]}) == 1


def test_completion_stream_joins_to_the_whole_completion(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion_body(server, ignore_eos=True)
    events = _stream(client, "/v1/completions", body)
    streamed = "".join(e["choices"][0]["text"] for e in events[:-1])
    whole = client.post("/v1/completions", json=body).json()
    assert streamed == whole["choices"][0]["text"]
    assert events[-2]["choices"][0]["finish_reason"] == whole["choices"][0]["finish_reason"]


def test_chat_stream_opens_with_the_assistant_role(
    client: httpx.Client, server: RunningServer
) -> None:
    events = _stream(client, "/v1/chat/completions", _chat_body(server))
    assert events[0]["object"] == "chat.completion.chunk"
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert events[-2]["choices"][0]["delta"] == {}
    assert events[-2]["choices"][0]["finish_reason"] in ("stop", "length")


def test_chat_stream_joins_to_the_whole_reply(client: httpx.Client, server: RunningServer) -> None:
    body = _chat_body(server, ignore_eos=True)
    events = _stream(client, "/v1/chat/completions", body)
    streamed = "".join(e["choices"][0]["delta"].get("content", "") for e in events[:-1])
    whole = client.post("/v1/chat/completions", json=body).json()
    assert streamed == whole["choices"][0]["message"]["content"]


def test_include_usage_adds_a_last_chunk_with_usage(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _chat_body(server, max_tokens=4, ignore_eos=True, stream_options={"include_usage": True})
    events = _stream(client, "/v1/chat/completions", body)
    last = events[-2]
    assert last["choices"] == []
    assert last["usage"]["completion_tokens"] == 4
    assert "cached_tokens" in last["usage"]["prompt_tokens_details"]
    assert all(e["usage"] is None for e in events[:-2])


def test_stream_without_include_usage_sends_no_usage(
    client: httpx.Client, server: RunningServer
) -> None:
    events = _stream(client, "/v1/completions", _completion_body(server))
    assert all(e["usage"] is None for e in events[:-1])


def test_streamed_logprobs_come_with_each_token(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion_body(server, max_tokens=4, ignore_eos=True, logprobs=1)
    events = _stream(client, "/v1/completions", body)
    tokens = [e for e in events[:-1] if e["choices"][0]["logprobs"] is not None]
    offsets = [e["choices"][0]["logprobs"]["text_offset"][0] for e in tokens]
    assert offsets == sorted(offsets)
    assert sum(len(e["choices"][0]["logprobs"]["tokens"]) for e in tokens) == 4


def test_client_disconnect_stops_the_generation(
    client: httpx.Client, server: RunningServer, context_length: int
) -> None:
    before = client.get("/metrics").json()
    max_tokens = context_length - 16
    body = _completion_body(
        server, prompt="Count:", max_tokens=max_tokens, ignore_eos=True, stream=True
    )
    with client.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200, response.read()
        for line in response.iter_lines():
            if line.startswith("data: "):
                break  # one token arrived: leave
    after = _wait_for(client, lambda m: m["cancelled"] > before["cancelled"])
    assert after["cancelled"] == before["cancelled"] + 1, (before, after)
    assert after["completed"] == before["completed"]
    assert after["cancelled_chunks"] - before["cancelled_chunks"] < max_tokens
    assert after["in_flight"] == 0


def test_server_keeps_serving_after_a_client_disconnects(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion_body(server, max_tokens=64, ignore_eos=True, stream=True)
    with client.stream("POST", "/v1/completions", json=body) as response:
        assert response.status_code == 200, response.read()
        next(response.iter_lines())
    out = client.post("/v1/completions", json=_completion_body(server, max_tokens=2))
    assert out.status_code == 200


def _wait_for(client: httpx.Client, ready: Any, timeout: float = 60.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        metrics = client.get("/metrics").json()
        if ready(metrics) or time.monotonic() > deadline:
            return metrics
        time.sleep(0.02)


def test_a_stream_the_backend_refuses_as_it_starts_is_a_400_like_the_whole_request(
    client: httpx.Client, server: RunningServer
) -> None:
    # Constrained decoding learns only when it starts that the schema needs more tokens
    # than max_tokens; the streamed request must hear it as a 400 too, not as a 200.
    schema = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
        "required": ["name", "age"],
    }
    body = _chat_body(
        server,
        max_tokens=1,
        response_format={"type": "json_schema", "json_schema": {"name": "p", "schema": schema}},
    )
    whole = client.post("/v1/chat/completions", json=body)
    streamed = client.post("/v1/chat/completions", json={**body, "stream": True})
    for response in (whole, streamed):
        assert response.status_code == 400, response.text
        assert response.json()["error"]["param"] == "max_tokens"
