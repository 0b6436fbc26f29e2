"""The official ``openai`` package talks to ``promptcraft serve`` unchanged."""

from __future__ import annotations

import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from support.serving import RunningServer

MESSAGES: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "Question: what is two plus two?"}
]


@pytest.fixture
def api(server: RunningServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="unused", max_retries=0, timeout=120)


def test_models_list_names_the_served_model(api: openai.OpenAI, server: RunningServer) -> None:
    assert [m.id for m in api.models.list()] == [server.model]


def test_chat_completion(api: openai.OpenAI, server: RunningServer) -> None:
    out = api.chat.completions.create(
        model=server.model,
        messages=MESSAGES,
        max_tokens=8,
        temperature=0,
    )
    assert out.choices[0].message.role == "assistant"
    assert isinstance(out.choices[0].message.content, str)
    assert out.usage is not None and out.usage.prompt_tokens > 0


def test_chat_completion_stream_joins_to_the_plain_reply(
    api: openai.OpenAI, server: RunningServer
) -> None:
    plain = api.chat.completions.create(
        model=server.model, messages=MESSAGES, max_tokens=8, temperature=0
    )
    stream = api.chat.completions.create(
        model=server.model, messages=MESSAGES, max_tokens=8, temperature=0, stream=True
    )
    chunks = list(stream)
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == plain.choices[0].message.content


def test_completion(api: openai.OpenAI, server: RunningServer) -> None:
    out = api.completions.create(
        model=server.model, prompt="The quick brown fox", max_tokens=4, temperature=0
    )
    assert isinstance(out.choices[0].text, str)
    assert out.usage is not None and out.usage.completion_tokens <= 4


def test_unknown_model_raises_not_found(api: openai.OpenAI) -> None:
    with pytest.raises(openai.NotFoundError):
        api.completions.create(model="gpt-17", prompt="hi", max_tokens=1)


def test_several_choices_raise_bad_request(api: openai.OpenAI, server: RunningServer) -> None:
    with pytest.raises(openai.BadRequestError, match="one choice per request"):
        api.completions.create(model=server.model, prompt="hi", max_tokens=1, n=2)
