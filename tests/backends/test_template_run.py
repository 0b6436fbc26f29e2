"""PromptTemplate.run: render, then generate with the template's defaults."""

from __future__ import annotations

import asyncio

import pytest

from promptcraft.backends import Completion, GenerationParams, LocalBackend
from promptcraft.errors import ContextLengthError
from promptcraft.prompts import FewShotPrompt, Message, PromptTemplate

EXAMPLES = [{"input": "two plus two", "output": "four"}, {"input": "hello", "output": "bonjour"}]


def _few_shot(**defaults: object) -> PromptTemplate:
    return FewShotPrompt(examples=EXAMPLES, defaults={"temperature": 0.0, **defaults})


def test_run_honours_the_default_max_tokens(backend: LocalBackend) -> None:
    out = _few_shot(max_tokens=7).run(backend, input="quick fox")
    assert isinstance(out, Completion)
    assert out.usage.completion_tokens == 7
    assert out.finish_reason == "length"


def test_run_generates_from_the_rendered_prompt(backend: LocalBackend) -> None:
    template = _few_shot(max_tokens=9)
    out = template.run(backend, input="quick fox")
    direct = backend.generate(template.render(input="quick fox"), max_tokens=9, temperature=0.0)
    assert out.text == direct.text
    assert out.usage.prompt_tokens == direct.usage.prompt_tokens


def test_run_honours_the_default_stop(backend: LocalBackend) -> None:
    free = _few_shot(max_tokens=30).run(backend, input="quick fox").text
    stop = free[5:8]
    out = _few_shot(max_tokens=30, stop=[stop]).run(backend, input="quick fox")
    assert out.text == free[: free.index(stop)]
    assert out.finish_reason == "stop"


def test_params_override_the_defaults(backend: LocalBackend) -> None:
    template = _few_shot(max_tokens=30)
    assert template.run(backend, params={"max_tokens": 3}, input="x").usage.completion_tokens == 3
    assert (
        template.run(
            backend, params=GenerationParams(max_tokens=4), input="x"
        ).usage.completion_tokens
        == 4
    )


def test_keywords_are_inputs_even_when_named_like_parameters(backend: LocalBackend) -> None:
    template = PromptTemplate(
        "Stop words: {{ stop }}\nAnswer:",
        inputs={"stop": {"type": "str"}},
        defaults={"max_tokens": 5, "temperature": 0.0},
    )
    out = template.run(backend, stop="the")
    direct = backend.generate("Stop words: the\nAnswer:", max_tokens=5, temperature=0.0)
    assert out.text == direct.text


def test_chat_template_runs_through_backend_chat(backend: LocalBackend) -> None:
    template = PromptTemplate(
        '{% message "system" %}Answer briefly.{% endmessage %}'
        '{% message "user" %}{{ question }}{% endmessage %}',
        kind="chat",
        defaults={"max_tokens": 6, "temperature": 0.0},
    )
    out = template.run(backend, question="What is two plus two?")
    messages = [
        Message(role="system", content="Answer briefly."),
        Message(role="user", content="What is two plus two?"),
    ]
    assert out.text == backend.chat(messages, max_tokens=6, temperature=0.0).text


def test_arun_equals_run(backend: LocalBackend) -> None:
    template = _few_shot(max_tokens=8)
    expected = template.run(backend, input="quick fox").text
    assert asyncio.run(template.arun(backend, input="quick fox")).text == expected


def test_templates_with_an_output_return_the_parsed_output(backend: LocalBackend) -> None:
    template = PromptTemplate(
        "Sentiment of {{ text }}:",
        output={"choices": ["positive", "negative"]},
        defaults={"max_tokens": 16, "temperature": 0.0},
    )
    assert template.run(backend, text="great") in ("positive", "negative")


def test_default_max_tokens_beyond_the_context_raises(backend: LocalBackend) -> None:
    template = _few_shot(max_tokens=500)
    with pytest.raises(ContextLengthError, match="exceeds the context of 128 tokens"):
        template.run(backend, input="x")
