"""The OpenAI backend against the real ``promptcraft serve`` (a subprocess on a free loopback
port, serving the bundled model or a tiny one): what the local model generates in process,
the same model generates over HTTP, whole, streamed and async, with the same errors."""

from __future__ import annotations

import asyncio
import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest

from promptcraft.backends import Backend, Completion, LocalBackend, OpenAIBackend, load_backend
from promptcraft.errors import AuthenticationError, BadRequestError, ContextLengthError

if importlib.util.find_spec("promptcraft.server") is None:
    pytest.skip(
        "promptcraft.server is not in this checkout: nothing to serve", allow_module_level=True
    )
if importlib.util.find_spec("uvicorn") is None or importlib.util.find_spec("starlette") is None:
    pytest.skip("the serve extra (starlette, uvicorn) is not installed", allow_module_level=True)

from support.serving import RunningServer, model_dir_to_serve, running_server

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

API_KEY = "pc-test-key-0123456789"
PROMPT = "Question: what is two plus two? Answer:"
HI = [{"role": "user", "content": "Translate to French: hello world."}]


@pytest.fixture(scope="module")
def served_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return model_dir_to_serve(tmp_path_factory.mktemp("served-model"))


@pytest.fixture(scope="module")
def server(
    served_model_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    log = tmp_path_factory.mktemp("serve-log") / "server.log"
    with running_server(served_model_dir, log_path=log, api_key=API_KEY) as live:
        yield live


@pytest.fixture(scope="module")
def remote(server: RunningServer) -> Iterator[OpenAIBackend]:
    backend = load_backend(server.base_url, model=server.model, api_key=API_KEY)
    assert isinstance(backend, OpenAIBackend)
    with backend:
        yield backend


@pytest.fixture(scope="module")
def local(served_model_dir: Path) -> LocalBackend:
    backend = load_backend(f"local:{served_model_dir}")
    assert isinstance(backend, LocalBackend)
    return backend


def greedy(backend: Backend, **params: object) -> Completion:
    # ignore_eos: a fixed-length answer, whatever the served model would say and when it stops
    return backend.generate(PROMPT, max_tokens=12, temperature=0, ignore_eos=True, **params)


def test_generate_over_http_equals_generating_in_process(
    remote: OpenAIBackend, local: LocalBackend
) -> None:
    over_http, in_process = greedy(remote), greedy(local)
    assert (over_http.text, over_http.finish_reason) == (in_process.text, in_process.finish_reason)


def test_usage_over_http_equals_usage_in_process(
    remote: OpenAIBackend, local: LocalBackend
) -> None:
    over_http, in_process = greedy(remote), greedy(local)
    assert (over_http.usage.prompt_tokens, over_http.usage.completion_tokens) == (
        in_process.usage.prompt_tokens,
        in_process.usage.completion_tokens,
    )


def test_chat_over_http_equals_chat_in_process(remote: OpenAIBackend, local: LocalBackend) -> None:
    over_http = remote.chat(HI, max_tokens=10, temperature=0)
    in_process = local.chat(HI, max_tokens=10, temperature=0)
    assert (over_http.text, over_http.usage.prompt_tokens) == (
        in_process.text,
        in_process.usage.prompt_tokens,
    )


def test_stream_joins_to_the_whole_answer(remote: OpenAIBackend) -> None:
    chunks = list(remote.stream(PROMPT, max_tokens=12, temperature=0, ignore_eos=True))
    streamed = Completion.from_chunks(chunks)
    whole = greedy(remote)
    # cached_prompt_tokens differ: the server's prefix cache remembers the previous call
    counts = (streamed.usage.prompt_tokens, streamed.usage.completion_tokens)
    assert (streamed.text, streamed.finish_reason, counts) == (
        whole.text,
        whole.finish_reason,
        (whole.usage.prompt_tokens, whole.usage.completion_tokens),
    )
    assert len([c for c in chunks if c.text]) > 1  # it really arrived in pieces


def test_chat_stream_joins_to_the_whole_answer(remote: OpenAIBackend) -> None:
    streamed = Completion.from_chunks(remote.stream(HI, max_tokens=10, temperature=0))
    assert streamed.text == remote.chat(HI, max_tokens=10, temperature=0).text


def test_stop_sequence_ends_the_answer_before_it(remote: OpenAIBackend) -> None:
    text = greedy(remote).text
    stop = text[4:6]
    assert stop.strip(), f"the model's greedy output is too short to pick a stop from: {text!r}"
    out = greedy(remote, stop=[stop])
    assert (out.text, out.finish_reason) == (text[: text.index(stop)], "stop")


def test_max_tokens_ends_with_length(remote: OpenAIBackend) -> None:
    out = remote.generate(PROMPT, max_tokens=3, temperature=0, ignore_eos=True)
    assert (out.finish_reason, out.usage.completion_tokens) == ("length", 3)


def test_logprobs_come_back_per_token(remote: OpenAIBackend) -> None:
    out = remote.generate(PROMPT, max_tokens=4, temperature=0, logprobs=2, ignore_eos=True)
    assert out.logprobs is not None and len(out.logprobs) == 4
    assert all(len(entry.top) == 2 for entry in out.logprobs)


def test_async_generate_equals_sync(remote: OpenAIBackend) -> None:
    async def run() -> Completion:
        return await remote.agenerate(PROMPT, max_tokens=12, temperature=0, ignore_eos=True)

    assert asyncio.run(run()).text == greedy(remote).text


def test_async_stream_equals_sync(remote: OpenAIBackend) -> None:
    async def run() -> Completion:
        chunks = remote.astream(HI, max_tokens=10, temperature=0)
        return Completion.from_chunks([c async for c in chunks])

    assert asyncio.run(run()).text == remote.chat(HI, max_tokens=10, temperature=0).text


def test_list_models_names_the_served_model(remote: OpenAIBackend, server: RunningServer) -> None:
    assert remote.list_models() == [server.model]


def test_wrong_key_is_an_authentication_error(server: RunningServer) -> None:
    backend = OpenAIBackend(server.model, base_url=server.base_url, api_key="wrong")
    with backend, pytest.raises(AuthenticationError) as info:
        backend.generate(PROMPT, max_tokens=2)
    assert info.value.status == 401


def test_unknown_model_is_a_bad_request_naming_the_field(server: RunningServer) -> None:
    backend = OpenAIBackend("no-such-model", base_url=server.base_url, api_key=API_KEY)
    with backend, pytest.raises(BadRequestError, match="does not exist") as info:
        backend.generate(PROMPT, max_tokens=2)
    assert (info.value.status, info.value.field) == (404, "model")


def test_prompt_longer_than_the_context_is_a_context_length_error(
    remote: OpenAIBackend, local: LocalBackend
) -> None:
    with pytest.raises(ContextLengthError) as info:
        remote.generate("two plus two " * 2000, max_tokens=8)
    assert info.value.status == 400
    # read from the server's own wording, so a caller can size the next request
    assert info.value.max_context == 512
    assert info.value.prompt_tokens == len(local.tokenizer.encode("two plus two " * 2000))
