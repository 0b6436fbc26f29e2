"""The endpoints answered whole (no streaming), over plain HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
from support.serving import RunningServer, post_chat

PROMPT = "Question: what is two plus two? Answer:"
CHAT = [{"role": "user", "content": "Translate to French: hello world."}]


def _complete(client: httpx.Client, server: RunningServer, **fields: Any) -> dict[str, Any]:
    body = {"model": server.model, "prompt": PROMPT, "max_tokens": 8, "temperature": 0, **fields}
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def _chat(client: httpx.Client, server: RunningServer, **fields: Any) -> dict[str, Any]:
    return post_chat(client, server, **{"messages": CHAT, **fields})


def test_health_reports_ok_and_the_model(client: httpx.Client, server: RunningServer) -> None:
    assert client.get("/health").json() == {"status": "ok", "model": server.model}


def test_models_lists_the_served_model_with_its_context(
    client: httpx.Client, server: RunningServer
) -> None:
    listing = client.get("/v1/models").json()
    assert listing["object"] == "list"
    [card] = listing["data"]
    assert card["id"] == server.model
    assert card["object"] == "model"
    assert card["max_model_len"] > 0


def test_a_model_can_be_retrieved_by_id(client: httpx.Client, server: RunningServer) -> None:
    card = client.get(f"/v1/models/{server.model}").json()
    assert card["id"] == server.model


def test_completion_has_openai_shape(client: httpx.Client, server: RunningServer) -> None:
    out = _complete(client, server)
    assert out["id"].startswith("cmpl-")
    assert out["object"] == "text_completion"
    assert isinstance(out["created"], int)
    assert out["model"] == server.model
    [choice] = out["choices"]
    assert choice["index"] == 0
    assert isinstance(choice["text"], str)
    assert choice["finish_reason"] in ("stop", "length")


def test_usage_counts_prompt_and_completion_tokens(
    client: httpx.Client, server: RunningServer
) -> None:
    usage = _complete(client, server, max_tokens=5, ignore_eos=True)["usage"]
    assert usage["completion_tokens"] == 5
    assert usage["prompt_tokens"] > 0
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_repeated_prompt_reports_cached_tokens(client: httpx.Client, server: RunningServer) -> None:
    # The prefix cache keeps whole prefill chunks (64 tokens): the prompt spans several.
    prompt = "Instructions: answer in one word, and check the sum twice. " * 12 + PROMPT
    _complete(client, server, prompt=prompt)
    again = _complete(client, server, prompt=prompt)["usage"]
    assert 0 < again["prompt_tokens_details"]["cached_tokens"] < again["prompt_tokens"]
    assert again["prompt_tokens_details"]["cached_tokens"] % 64 == 0


def test_max_tokens_limits_the_completion(client: httpx.Client, server: RunningServer) -> None:
    out = _complete(client, server, max_tokens=3, ignore_eos=True)
    assert out["usage"]["completion_tokens"] == 3
    assert out["choices"][0]["finish_reason"] == "length"


def test_stop_string_ends_the_completion_before_it(
    client: httpx.Client, server: RunningServer
) -> None:
    free = _complete(client, server, max_tokens=24, ignore_eos=True)["choices"][0]["text"]
    stop = free[len(free) // 2 :][:2]
    assert len(stop) == 2, f"the model wrote too little to pick a stop string from: {free!r}"
    out = _complete(client, server, max_tokens=24, ignore_eos=True, stop=[stop])
    assert out["choices"][0]["text"] == free[: free.index(stop)]
    assert out["choices"][0]["finish_reason"] == "stop"


def test_same_seed_gives_the_same_sample(client: httpx.Client, server: RunningServer) -> None:
    first = _complete(client, server, temperature=1.0, seed=7, max_tokens=12)
    second = _complete(client, server, temperature=1.0, seed=7, max_tokens=12)
    assert first["choices"][0]["text"] == second["choices"][0]["text"]


def test_completion_logprobs_has_one_entry_per_token(
    client: httpx.Client, server: RunningServer
) -> None:
    out = _complete(client, server, max_tokens=4, ignore_eos=True, logprobs=2)
    logprobs = out["choices"][0]["logprobs"]
    assert len(logprobs["tokens"]) == 4
    assert len(logprobs["token_logprobs"]) == 4
    assert all(value <= 0 for value in logprobs["token_logprobs"])
    assert all(1 <= len(top) <= 2 for top in logprobs["top_logprobs"])
    assert logprobs["text_offset"][0] == 0


def test_chat_completion_has_openai_shape(client: httpx.Client, server: RunningServer) -> None:
    out = _chat(client, server)
    assert out["id"].startswith("chatcmpl-")
    assert out["object"] == "chat.completion"
    [choice] = out["choices"]
    assert choice["message"]["role"] == "assistant"
    assert isinstance(choice["message"]["content"], str)
    assert choice["finish_reason"] in ("stop", "length")
    assert out["usage"]["prompt_tokens"] > 0


def test_chat_max_completion_tokens_limits_the_reply(
    client: httpx.Client, server: RunningServer
) -> None:
    out = _chat(client, server, max_tokens=None, max_completion_tokens=2, ignore_eos=True)
    assert out["usage"]["completion_tokens"] == 2


def test_chat_logprobs_lists_top_alternatives(client: httpx.Client, server: RunningServer) -> None:
    out = _chat(client, server, max_tokens=3, ignore_eos=True, logprobs=True, top_logprobs=2)
    content = out["choices"][0]["logprobs"]["content"]
    assert len(content) == 3
    for entry in content:
        assert entry["logprob"] <= 0
        assert entry["bytes"] == list(entry["token"].encode())
        assert len(entry["top_logprobs"]) == 2


def test_chat_content_as_text_parts_reads_like_a_string(
    client: httpx.Client, server: RunningServer
) -> None:
    parts = [{"role": "user", "content": [{"type": "text", "text": CHAT[0]["content"]}]}]
    plain = _chat(client, server)["choices"][0]["message"]["content"]
    split = _chat(client, server, messages=parts)["choices"][0]["message"]["content"]
    assert split == plain


PERSON_SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 8}, "age": {"type": "integer"}},
    "required": ["name", "age"],
    "additionalProperties": False,
}
PERSON_FORMAT = {"type": "json_schema", "json_schema": {"name": "p", "schema": PERSON_SCHEMA}}


def test_chat_json_schema_response_format_always_parses(
    client: httpx.Client, server: RunningServer
) -> None:
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": "name: Omar; age: 42"}],
        "max_tokens": 40,
        "temperature": 1.0,
        "seed": 3,
        "response_format": PERSON_FORMAT,
    }
    response = client.post("/v1/chat/completions", json=body)
    assert response.status_code == 200, response.text
    reply = json.loads(response.json()["choices"][0]["message"]["content"])
    assert set(reply) == {"name", "age"} and isinstance(reply["age"], int)


def test_text_completion_json_schema_response_format_always_parses(
    client: httpx.Client, server: RunningServer
) -> None:
    body = {
        "model": server.model,
        "prompt": "name: Omar; age: 42\nJSON:",
        "max_tokens": 40,
        "temperature": 1.0,
        "seed": 3,
        "response_format": PERSON_FORMAT,
    }
    response = client.post("/v1/completions", json=body)
    assert response.status_code == 200, response.text
    reply = json.loads(response.json()["choices"][0]["text"])
    assert set(reply) == {"name", "age"} and isinstance(reply["age"], int)
