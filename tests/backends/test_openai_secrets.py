"""The API key goes in the Authorization header and nowhere else: not in repr, not in error
messages or tracebacks (even when the server echoes it), not in log records, and not to
servers other than api.openai.com unless given for them."""

from __future__ import annotations

import logging
import socket
import traceback
from collections.abc import Iterator

import pytest
from support.scripted_openai_server import Reply, ScriptedServer, chat_answer, chat_delta

from promptcraft.backends import OpenAIBackend, load_backend
from promptcraft.errors import AuthenticationError, BackendError, BackendUnavailableError

pytestmark = pytest.mark.timeout(60)

KEY = "sk-proj-SECRET0123456789abcdef"
HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def backend(server: ScriptedServer) -> Iterator[OpenAIBackend]:
    with OpenAIBackend("m", base_url=server.url, api_key=KEY, initial_retry_delay=0.001) as live:
        yield live


def echoing_refusal() -> Reply:
    return Reply(status=401, body={"error": {"message": f"Incorrect API key provided: {KEY}"}})


def all_text_of(exc: BaseException) -> str:
    return "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)) + repr(exc)


def test_key_is_sent_as_a_bearer_token(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer()))
    backend.chat(HI)
    assert server.received[0].headers["authorization"] == f"Bearer {KEY}"


def test_repr_does_not_show_the_key(backend: OpenAIBackend) -> None:
    assert KEY not in repr(backend)
    assert repr(backend).startswith("OpenAIBackend(model='m', base_url=")


def test_authentication_error_does_not_show_the_echoed_key(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(echoing_refusal())
    with pytest.raises(AuthenticationError) as info:
        backend.chat(HI)
    assert "Incorrect API key provided" in str(info.value)
    assert KEY not in all_text_of(info.value)
    assert KEY not in (info.value.server_message or "")


def test_mid_stream_error_does_not_show_the_echoed_key(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(events=[chat_delta(content="a"), {"error": {"message": f"bad {KEY}"}}]))
    with pytest.raises(BackendError) as info:
        list(backend.stream(HI))
    assert KEY not in all_text_of(info.value)


def test_connection_error_traceback_does_not_show_the_key() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = OpenAIBackend("m", base_url=f"http://127.0.0.1:{port}/v1", api_key=KEY, max_retries=0)
    with pytest.raises(BackendUnavailableError) as info:
        backend.chat(HI)
    assert KEY not in all_text_of(info.value)


def test_logs_of_a_retried_call_do_not_show_the_key(
    backend: OpenAIBackend, server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(Reply(status=503, body={"error": {"message": "busy"}}), echoing_refusal())
    with caplog.at_level(logging.DEBUG), pytest.raises(AuthenticationError):
        backend.chat(HI)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "retry 1 of 2" in logged  # the retry was logged, and httpx's own records too
    assert any(record.name.startswith("httpcore") for record in caplog.records)  # headers sent
    assert KEY not in logged


def test_openai_key_is_not_sent_to_other_servers(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    server.script(Reply(body=chat_answer()))
    with load_backend(server.url, model="m") as backend:
        backend.chat(HI)
    assert "authorization" not in server.received[0].headers
