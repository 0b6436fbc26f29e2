"""Bad requests get OpenAI-style errors with the right status, and the server keeps serving."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from serve_fixture import RunningServer


def _error(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    return error


def _completion(server: RunningServer, **fields: Any) -> dict[str, Any]:
    return {"model": server.model, "prompt": "Hello", "max_tokens": 2, **fields}


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
    body = {
        "model": server.model,
        "messages": [{"role": "user", "content": "hi"}],
        "response_format": {"type": "json_schema", "json_schema": {"name": "x"}},
    }
    error = _error(client.post("/v1/chat/completions", json=body), 400)
    assert error["param"] == "response_format"
