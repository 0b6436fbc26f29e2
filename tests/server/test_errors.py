"""Bad requests get OpenAI-style errors with the right status, and the server keeps serving."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from support.serving import RunningServer


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    return error


def _completion(server: RunningServer, **fields: Any) -> dict[str, Any]:
    return {"model": server.model, "prompt": "Hello", "max_tokens": 2, **fields}


def _chat_error(client: httpx.Client, server: RunningServer, **fields: Any) -> dict[str, Any]:
    """The 400 error of a chat request ("hi" unless ``fields`` give the messages)."""
    body = {"model": server.model, "messages": [{"role": "user", "content": "hi"}], **fields}
    return _error(client.post("/v1/chat/completions", json=body), 400)


def _schema_format(schema: dict[str, Any]) -> dict[str, Any]:
    return {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}


def test_malformed_json_is_a_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/completions",
        content=b'{"model": "x", "prompt": ',
        headers={"content-type": "application/json"},
    )
    assert _error(response, 400)["code"] == "invalid_json"


def test_a_body_that_is_not_an_object_is_a_400(client: httpx.Client) -> None:
    _error(client.post("/v1/completions", json=["not", "an", "object"]), 400)


@pytest.mark.parametrize(
    ("field", "value"),
    [("temperature", "hot"), ("max_tokens", 2.5), ("stream", "yes"), ("stop", 3)],
)
def test_a_field_of_the_wrong_type_is_a_400_naming_it(
    client: httpx.Client, server: RunningServer, field: str, value: Any
) -> None:
    error = _error(client.post("/v1/completions", json=_completion(server, **{field: value})), 400)
    assert error["param"] == field


def test_an_out_of_range_value_is_a_400_naming_it(
    client: httpx.Client, server: RunningServer
) -> None:
    error = _error(client.post("/v1/completions", json=_completion(server, top_p=1.5)), 400)
    assert error["param"] == "top_p"


def test_an_unknown_field_is_a_400_naming_it(client: httpx.Client, server: RunningServer) -> None:
    error = _error(client.post("/v1/completions", json=_completion(server, temprature=0)), 400)
    assert error["param"] == "temprature"


def test_a_missing_prompt_is_a_400(client: httpx.Client, server: RunningServer) -> None:
    error = _error(client.post("/v1/completions", json={"model": server.model}), 400)
    assert error["param"] == "prompt"


def test_a_bad_message_role_names_the_message(client: httpx.Client, server: RunningServer) -> None:
    body = {"model": server.model, "messages": [{"role": "robot", "content": "hi"}]}
    error = _error(client.post("/v1/chat/completions", json=body), 400)
    assert error["param"] == "messages[0].role"


def test_unknown_model_is_a_404_model_not_found(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion(server, model="gpt-17")
    error = _error(client.post("/v1/completions", json=body), 404)
    assert error["code"] == "model_not_found"
    assert error["param"] == "model"


def test_several_choices_are_refused_with_a_clear_400(
    client: httpx.Client, server: RunningServer
) -> None:
    error = _error(client.post("/v1/completions", json=_completion(server, n=2)), 400)
    assert error["param"] == "n"
    assert "one choice per request" in error["message"]


def test_a_prompt_over_the_context_is_context_length_exceeded(
    client: httpx.Client, server: RunningServer, context_length: int
) -> None:
    body = _completion(server, prompt="word " * context_length, max_tokens=16)
    error = _error(client.post("/v1/completions", json=body), 400)
    assert error["code"] == "context_length_exceeded"
    assert error["param"] == "prompt"


def test_a_conversation_over_the_context_is_context_length_exceeded(
    client: httpx.Client, server: RunningServer, context_length: int
) -> None:
    messages = [{"role": "user", "content": "word " * context_length}]
    body = {"model": server.model, "messages": messages, "max_tokens": 16}
    error = _error(client.post("/v1/chat/completions", json=body), 400)
    assert error["code"] == "context_length_exceeded"
    assert error["param"] == "messages"


def test_unknown_endpoint_is_an_openai_style_404(client: httpx.Client) -> None:
    assert _error(client.get("/v1/engines"), 404)["code"] == "unknown_url"


def test_wrong_method_is_an_openai_style_405(client: httpx.Client) -> None:
    assert _error(client.get("/v1/completions"), 405)["code"] == "method_not_allowed"


def test_the_server_keeps_serving_after_bad_requests(
    client: httpx.Client, server: RunningServer
) -> None:
    client.post("/v1/completions", content=b"{{{", headers={"content-type": "application/json"})
    client.post("/v1/completions", json=_completion(server, temperature=-1))
    response = client.post("/v1/completions", json=_completion(server))
    assert response.status_code == 200


def test_an_invalid_response_format_schema_is_a_400_naming_it(
    client: httpx.Client, server: RunningServer
) -> None:
    response_format = {"type": "json_schema", "json_schema": {"name": "x"}}
    error = _chat_error(client, server, response_format=response_format)
    assert error["param"] == "response_format"


def test_a_seed_beyond_64_bits_is_a_400_naming_it(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion(server, seed=2**64, temperature=1.0)
    assert _error(client.post("/v1/completions", json=body), 400)["param"] == "seed"


def test_an_empty_prompt_is_a_400_naming_it_streamed_or_not(
    client: httpx.Client, server: RunningServer
) -> None:
    # The bundled model has no BOS token to start from.
    for stream in (False, True):
        body = _completion(server, prompt="", stream=stream)
        assert _error(client.post("/v1/completions", json=body), 400)["param"] == "prompt"


def test_min_tokens_above_max_tokens_is_a_400_naming_min_tokens(
    client: httpx.Client, server: RunningServer
) -> None:
    body = _completion(server, max_tokens=2, min_tokens=5)
    error = _error(client.post("/v1/completions", json=body), 400)
    assert error["param"] == "min_tokens"


def test_max_tokens_beyond_the_context_is_a_400_naming_max_tokens(
    client: httpx.Client, server: RunningServer, context_length: int
) -> None:
    body = _completion(server, max_tokens=context_length)
    error = _error(client.post("/v1/completions", json=body), 400)
    assert (error["code"], error["param"]) == ("context_length_exceeded", "max_tokens")
    assert "truncate" not in error["message"]  # no advice meant for Python callers
    chat = {
        "model": server.model,
        "messages": [{"role": "user", "content": "hi"}],
        "max_completion_tokens": context_length,
    }
    error = _error(client.post("/v1/chat/completions", json=chat), 400)
    assert error["param"] == "max_completion_tokens"


@pytest.mark.parametrize(
    ("field", "value", "param"),
    [
        ("stop", ["\n", None], "stop[1]"),
        ("messages", [{"role": "user", "content": ["hi"]}], "messages[0].content[0]"),
    ],
)
def test_a_bad_item_inside_a_list_is_named_by_its_index(
    client: httpx.Client, server: RunningServer, field: str, value: Any, param: str
) -> None:
    body = {"model": server.model, "messages": [{"role": "user", "content": "hi"}], field: value}
    error = _error(client.post("/v1/chat/completions", json=body), 400)
    assert error["param"] == param


def test_a_response_format_without_an_object_at_its_root_is_a_400(
    client: httpx.Client, server: RunningServer
) -> None:
    schema = {"type": "string", "maxLength": 8}
    error = _chat_error(client, server, response_format=_schema_format(schema))
    assert error["param"] == "response_format"
    assert "object at its root" in error["message"]


def test_a_response_format_too_large_to_compile_is_a_400(
    client: httpx.Client, server: RunningServer
) -> None:
    # Unchecked, a schema like this one is compiled into an automaton of gigabytes.
    schema = {"type": "object", "properties": {"text": {"type": "string", "maxLength": 5000}}}
    error = _chat_error(client, server, response_format=_schema_format(schema))
    assert error["param"] == "response_format"
    assert "too large" in error["message"]


def test_chat_with_an_image_part_is_refused_naming_the_part(
    client: httpx.Client, server: RunningServer
) -> None:
    parts = [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
    ]
    error = _chat_error(client, server, messages=[{"role": "user", "content": parts}])
    assert error["param"] == "messages[0].content[1].type"
    assert "text only" in error["message"]


def test_a_conversation_carrying_tool_calls_is_refused_naming_them(
    client: httpx.Client, server: RunningServer
) -> None:
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    messages = [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "42"},
    ]
    error = _chat_error(client, server, messages=messages)
    assert (error["param"], error["code"]) == ("messages[1].tool_calls", "unsupported_value")


def test_an_openai_field_the_server_cannot_honour_is_refused_as_unsupported(
    client: httpx.Client, server: RunningServer
) -> None:
    error = _chat_error(client, server, reasoning_effort="low")
    assert (error["param"], error["code"]) == ("reasoning_effort", "unsupported_parameter")


def test_store_true_is_refused_naming_it(client: httpx.Client, server: RunningServer) -> None:
    error = _chat_error(client, server, store=True)
    assert (error["param"], error["code"]) == ("store", "unsupported_value")
