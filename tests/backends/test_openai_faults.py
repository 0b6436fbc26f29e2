"""Retries and typed errors of the OpenAI backend, against a real HTTP server that fails on
script (see support/scripted_openai_server.py): rate limits, outages, dropped connections, refused
keys, prompts too long, and the max_tokens parameter some models refuse."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
from support.scripted_openai_server import (
    Reply,
    ScriptedServer,
    chat_answer,
    chat_delta,
    text_answer,
)

from promptcraft.backends import OpenAIBackend
from promptcraft.errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    BadRequestError,
    ContextLengthError,
    RateLimitError,
)

pytestmark = pytest.mark.timeout(60)

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def backend(server: ScriptedServer) -> Iterator[OpenAIBackend]:
    # Millisecond backoff: the tests check which requests are repeated, not the waiting.
    with OpenAIBackend(
        "scripted-model",
        base_url=server.url,
        api_key="sk-test-0123456789",
        initial_retry_delay=0.001,
        max_retry_delay=0.005,
    ) as live:
        yield live


def error(message: str, **fields: object) -> dict:
    return {"error": {"message": message, **fields}}


# --- retried ----------------------------------------------------------------------------------


def test_rate_limit_with_retry_after_is_retried(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(status=429, body=error("slow down"), headers={"retry-after": "0.01"}),
        Reply(body=chat_answer("ok")),
    )
    assert backend.chat(HI).text == "ok"
    assert len(server.received) == 2


def test_service_unavailable_then_success_is_retried(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(status=503, body=error("overloaded")), Reply(body=text_answer(" yes")))
    assert backend.generate("Q:").text == " yes"
    assert len(server.received) == 2


def test_dropped_connection_before_the_answer_is_retried(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer("lost"), break_after=1), Reply(body=chat_answer("ok")))
    assert backend.chat(HI).text == "ok"
    assert len(server.received) == 2


def test_retries_stop_after_max_retries(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(*[Reply(status=500, body=error("boom")) for _ in range(5)])
    with pytest.raises(BackendUnavailableError, match=r"HTTP 500.*boom") as info:
        backend.chat(HI)
    assert info.value.status == 500
    assert len(server.received) == 3  # the try and max_retries=2 retries


def test_max_retries_zero_tries_once(server: ScriptedServer) -> None:
    server.script(Reply(status=503, body=error("down")), Reply(body=chat_answer()))
    backend = OpenAIBackend("m", base_url=server.url, max_retries=0)
    with backend, pytest.raises(BackendUnavailableError):
        backend.chat(HI)
    assert len(server.received) == 1


def test_x_should_retry_false_stops_retries(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(
        Reply(status=503, body=error("down"), headers={"x-should-retry": "false"}),
        Reply(body=chat_answer()),
    )
    with pytest.raises(BackendUnavailableError):
        backend.chat(HI)
    assert len(server.received) == 1


def test_rate_limit_after_the_retries_says_when_to_come_back(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    limited = Reply(
        status=429,
        body=error("Rate limit reached", code="rate_limit_exceeded"),
        headers={"retry-after-ms": "2"},
    )
    server.script(limited, limited, limited)
    with pytest.raises(RateLimitError, match="Rate limit reached") as info:
        backend.chat(HI)
    assert (info.value.status, info.value.code, info.value.retry_after) == (
        429,
        "rate_limit_exceeded",
        0.002,
    )


def test_unreachable_server_is_unavailable_after_the_retries() -> None:
    with socket.socket() as probe:  # a port with nobody listening
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{port}/v1", initial_retry_delay=0.001)
    with pytest.raises(BackendUnavailableError, match=r"after 3 tries.*ConnectError"):
        backend.generate("hi")


def test_server_slower_than_the_timeout_is_unavailable(server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer(), delay=0.5), Reply(body=chat_answer(), delay=0.5))
    backend = OpenAIBackend(
        "m", base_url=server.url, timeout=0.05, max_retries=1, initial_retry_delay=0.001
    )
    with backend, pytest.raises(BackendUnavailableError, match=r"after 2 tries \(ReadTimeout"):
        backend.chat(HI)


# --- not retried ------------------------------------------------------------------------------


def test_refused_key_is_an_authentication_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(status=401, body=error("Invalid key", code="invalid_api_key")))
    with pytest.raises(AuthenticationError, match="HTTP 401: Invalid key") as info:
        backend.chat(HI)
    assert (info.value.status, info.value.code) == (401, "invalid_api_key")
    assert len(server.received) == 1


def test_prompt_too_long_is_a_context_length_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(
            status=400,
            body=error(
                "This model's maximum context length is 128 tokens. However, your messages "
                "resulted in 300 tokens.",
                type="invalid_request_error",
                code="context_length_exceeded",
            ),
        )
    )
    with pytest.raises(ContextLengthError, match="maximum context length") as info:
        backend.chat(HI)
    assert (info.value.max_context, info.value.prompt_tokens) == (128, 300)


def test_flat_vllm_error_body_becomes_a_bad_request(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    body = {
        "object": "error",
        "message": "The model `nope` does not exist.",
        "type": "NotFoundError",
        "param": "model",
        "code": 404,
    }
    server.script(Reply(status=404, body=body))
    with pytest.raises(BadRequestError, match="The model `nope` does not exist") as info:
        backend.chat(HI)
    assert (info.value.status, info.value.field) == (404, "model")


def test_fastapi_detail_body_becomes_a_bad_request(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(status=422, body={"detail": "messages must not be empty"}))
    with pytest.raises(BadRequestError, match="messages must not be empty"):
        backend.chat(HI)


def test_error_body_under_http_200_is_a_typed_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=error("overloaded", type="server_error")))
    with pytest.raises(BackendUnavailableError, match="overloaded"):
        backend.chat(HI)


# --- streams are never replayed -------------------------------------------------------------------


def test_stream_cut_after_output_began_is_not_replayed(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(events=[chat_delta(content="Hel"), chat_delta(content="lo")], break_after=2),
        Reply(body=chat_answer("should not be asked for")),
    )
    texts: list[str] = []
    with pytest.raises(BackendUnavailableError, match=r"broke mid-stream.*not repeated"):
        for chunk in backend.stream(HI):
            texts.append(chunk.text)
    assert texts == ["Hel", "lo"]
    assert len(server.received) == 1


def test_stream_that_ends_without_finishing_is_an_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(events=[chat_delta(content="Hel")]))
    with pytest.raises(BackendUnavailableError, match="ended before the completion finished"):
        list(backend.stream(HI))


def test_stream_refused_before_it_began_is_retried(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(status=503, body=error("warming up")),
        Reply(events=[chat_delta(content="ok", finish_reason="stop"), "[DONE]"]),
    )
    assert "".join(c.text for c in backend.stream(HI)) == "ok"
    assert len(server.received) == 2


def test_mid_stream_error_event_raises_the_typed_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(
            events=[
                chat_delta(content="Hel"),
                {"error": {"message": "rate limited mid-way", "code": "rate_limit_exceeded"}},
            ]
        )
    )
    with pytest.raises(RateLimitError, match="mid-stream: rate limited mid-way"):
        list(backend.stream(HI))


def test_named_error_event_raises_the_typed_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(events=[("error", {"message": "engine died", "type": "server_error", "code": 500})])
    )
    with pytest.raises(BackendUnavailableError, match="engine died") as info:
        list(backend.stream(HI))
    assert info.value.status == 500


def test_vllm_mid_stream_error_with_status_code_is_a_bad_request(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    vllm = {"object": "error", "message": "bad token", "type": "BadRequestError", "code": 400}
    server.script(Reply(events=[{"error": vllm}]))
    with pytest.raises(BadRequestError, match="bad token"):
        list(backend.stream(HI))


# --- max_tokens vs max_completion_tokens --------------------------------------------------------


def test_rejected_max_tokens_is_retried_once_as_max_completion_tokens(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    refusal = error(
        "Unsupported parameter: 'max_tokens' is not supported with this model. "
        "Use 'max_completion_tokens' instead.",
        type="invalid_request_error",
        param="max_tokens",
        code="unsupported_parameter",
    )
    server.script(Reply(status=400, body=refusal), Reply(body=chat_answer("ok")))
    assert backend.chat(HI, max_tokens=7).text == "ok"
    first, second = (r.json for r in server.received)
    assert (first["max_tokens"], "max_completion_tokens" in first) == (7, False)
    assert (second["max_completion_tokens"], "max_tokens" in second) == (7, False)


def test_switched_token_parameter_is_remembered(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    refusal = error("Use 'max_completion_tokens' instead.", param="max_tokens")
    server.script(Reply(status=400, body=refusal), Reply(body=chat_answer()))
    backend.chat(HI, max_tokens=16)
    server.script(Reply(body=chat_answer()))
    backend.chat(HI, max_tokens=16)
    assert "max_completion_tokens" in server.received[0].json


def test_token_parameter_is_switched_only_once(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    refusal = error("Use 'max_completion_tokens' instead.", param="max_tokens")
    back = error("Use 'max_tokens' instead.", param="max_completion_tokens")
    server.script(Reply(status=400, body=refusal), Reply(status=400, body=back))
    with pytest.raises(BadRequestError, match="Use 'max_tokens' instead"):
        backend.chat(HI, max_tokens=16)
    assert len(server.received) == 2


# --- the async twin shares the policy -----------------------------------------------------------


def test_async_call_retries_an_outage(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(status=502, body=error("bad gateway")), Reply(body=chat_answer("ok")))
    assert asyncio.run(backend.achat(HI)).text == "ok"
    assert len(server.received) == 2


def test_async_call_raises_the_typed_error(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(status=403, body=error("forbidden")))
    with pytest.raises(AuthenticationError, match="HTTP 403"):
        asyncio.run(backend.achat(HI))


def test_async_stream_cut_after_output_began_is_not_replayed(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(events=[chat_delta(content="Hel")], break_after=1))

    async def consume() -> list[str]:
        return [chunk.text async for chunk in backend.astream(HI)]

    with pytest.raises(BackendUnavailableError, match="broke mid-stream"):
        asyncio.run(consume())
    assert len(server.received) == 1


def test_unknown_status_is_a_plain_backend_error(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(status=413, body=error("body too large")))
    with pytest.raises(BackendError, match="HTTP 413: body too large") as info:
        backend.chat(HI)
    assert type(info.value) is BackendError
