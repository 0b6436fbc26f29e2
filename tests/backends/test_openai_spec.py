"""``load_backend`` for OpenAI-compatible servers: "openai:MODEL" and "http(s)://HOST/v1",
their options, and the mistakes they name. No request is sent here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from promptcraft.backends import LocalBackend, OpenAIBackend, load_backend
from promptcraft.backends.spec import OPENAI_BASE_URL
from promptcraft.errors import BackendError, InvalidRequestError


def test_openai_spec_targets_the_openai_api_with_the_environment_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    backend = load_backend("openai:gpt-4o-mini")
    assert isinstance(backend, OpenAIBackend)
    assert (backend.model, backend.base_url, backend.official) == (
        "gpt-4o-mini",
        OPENAI_BASE_URL,
        True,
    )


def test_openai_spec_without_a_key_says_how_to_give_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(BackendError, match="set the OPENAI_API_KEY environment variable"):
        load_backend("openai:gpt-4o-mini")


def test_explicit_key_needs_no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert isinstance(load_backend("openai:gpt-4o-mini", api_key="sk-x"), OpenAIBackend)


def test_server_url_with_a_model_targets_that_server() -> None:
    backend = load_backend("http://localhost:8000/v1/", model="llama3")
    assert isinstance(backend, OpenAIBackend)
    assert (backend.model, backend.base_url, backend.official) == (
        "llama3",
        "http://localhost:8000/v1",
        False,
    )


def test_server_url_without_a_model_asks_for_one() -> None:
    with pytest.raises(BackendError, match="names a server but no model: pass model="):
        load_backend("http://localhost:8000/v1")


def test_model_given_twice_differently_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env")
    with pytest.raises(BackendError, match="give the model once"):
        load_backend("openai:gpt-4o", model="gpt-4o-mini")


def test_unknown_server_option_is_named() -> None:
    with pytest.raises(TypeError, match=r"unknown option 'dtype'.*accepted: model, api_key"):
        load_backend("http://localhost:8000/v1", model="m", dtype="float32")


def test_server_options_reach_the_backend() -> None:
    backend = load_backend(
        "http://localhost:8000/v1", model="m", max_retries=5, initial_retry_delay=0.1, timeout=3
    )
    assert isinstance(backend, OpenAIBackend)
    assert (backend.retry_policy.max_retries, backend.retry_policy.initial_delay) == (5, 0.1)
    assert backend.timeout == 3


def test_default_timeouts_are_on() -> None:
    backend = OpenAIBackend("m", base_url="http://localhost:8000/v1")
    assert isinstance(backend.timeout, httpx.Timeout)
    assert (backend.timeout.connect, backend.timeout.read) == (5.0, 600.0)


def test_capabilities_include_native_tools_but_not_constrained_decoding() -> None:
    caps = OpenAIBackend("m", base_url="http://localhost:8000/v1").capabilities
    assert (caps.chat, caps.completion, caps.streaming, caps.logprobs) == (True,) * 4
    assert (caps.native_tool_calls, caps.response_format, caps.constrained_decoding) == (
        True,
        True,
        False,
    )


def test_local_backend_rejects_tools_instead_of_ignoring_them(tiny_model_dir: Path) -> None:
    backend = load_backend(f"local:{tiny_model_dir}")
    assert isinstance(backend, LocalBackend)
    tools = [{"type": "function", "function": {"name": "f"}}]
    with pytest.raises(InvalidRequestError, match="does not support tools=") as info:
        backend.chat([{"role": "user", "content": "hi"}], tools=tools)
    assert info.value.field == "tools"


def test_loading_a_server_backend_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "import promptcraft as pc\n"
        "from promptcraft.backends import load_backend\n"
        "load_backend('http://localhost:8000/v1', model='m')\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"
