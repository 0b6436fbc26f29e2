"""The schema's outline in the prompt: compact instructions for remote models, a hint of the
fields for constrained local ones, sized to the context."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal

import pytest
from pydantic import BaseModel, Field

from promptcraft.backends.base import Backend
from promptcraft.backends.testing import FunctionBackend
from promptcraft.errors import ContextLengthError, ContextWindowExceededError
from promptcraft.structured import (
    generate_structured,
    generate_structured_result,
    json_schema,
    schema_outline,
)
from promptcraft.tokenizers.tokenizer import get_tokenizer
from promptcraft.types import Capabilities, Request


class Meeting(BaseModel):
    day: str
    time: str


class Item(BaseModel):
    sku: str
    qty: int


class Order(BaseModel):
    items: list[Item]
    priority: Literal["low", "high"] = "low"
    note: str | None = Field(default=None, description="anything the customer  added")


def _backend(
    answer: Callable[[Request], str],
    *,
    constrained: bool = False,
    max_context: int | None = None,
    tokenizer: bool = False,
) -> Backend:
    backend = FunctionBackend(answer)
    backend.capabilities = Capabilities(
        completion=True, chat=True, constrained_decoding=constrained, max_context=max_context
    )
    if tokenizer:
        backend.tokenizer = get_tokenizer("cl100k_base")
    return backend


def _prompt_of(request: Request) -> str:
    if request.prompt is not None:
        return request.prompt
    assert request.messages is not None
    return "\n".join(m.content for m in request.messages)


def test_the_outline_names_every_field_and_its_type() -> None:
    outline = schema_outline(Meeting.model_json_schema())
    assert outline == '{"day": string, "time": string}'


def test_the_outline_follows_nested_models_and_marks_optional_fields() -> None:
    outline = schema_outline(Order.model_json_schema())
    first, description = outline.splitlines()
    assert first == (
        '{"items": [{"sku": string, "qty": integer}, ...], "priority"?: "low" | "high", '
        '"note"?: string | null}'
    )
    assert description == "- note: anything the customer added"


def test_the_names_level_keeps_only_the_top_level_field_names() -> None:
    assert schema_outline(Order.model_json_schema(), "names") == (
        '{"items": ..., "priority": ..., "note": ...}'
    )


def test_instructions_are_far_shorter_than_the_schema() -> None:
    constraint = json_schema(Order)
    tokenizer = get_tokenizer("cl100k_base")
    schema_tokens = tokenizer.count(json.dumps(constraint.schema))
    assert tokenizer.count(constraint.instructions()) < schema_tokens / 2


def test_a_constrained_backend_sees_the_field_names_in_the_prompt() -> None:
    backend = _backend(lambda r: '{"day": "Tuesday", "time": "15:00"}', constrained=True)
    meeting = generate_structured(backend, "Let's meet on Tuesday at 3 pm.", Meeting)
    assert meeting == Meeting(day="Tuesday", time="15:00")
    (request,) = backend.requests  # type: ignore[attr-defined]
    assert request.constraint == json_schema(Meeting)
    assert '{"day": string, "time": string}' in request.prompt
    assert request.prompt.endswith("Let's meet on Tuesday at 3 pm.")


def test_a_conversation_gets_the_outline_as_a_system_message() -> None:
    backend = _backend(lambda r: '{"day": "Tuesday", "time": "15:00"}', constrained=True)
    generate_structured(backend, [{"role": "user", "content": "Tuesday, 3 pm"}], Meeting)
    (request,) = backend.requests  # type: ignore[attr-defined]
    assert request.messages[0].role == "system"
    assert '"day": string' in request.messages[0].content


def test_constrained_choices_and_patterns_get_no_hint() -> None:
    backend = _backend(lambda r: "yes", constrained=True)
    generate_structured(backend, "Is it?", ["yes", "no"])
    (request,) = backend.requests  # type: ignore[attr-defined]
    assert request.prompt == "Is it?"


def test_an_outline_that_would_not_fit_the_context_is_left_out() -> None:
    prompt = "word " * 40  # 40 tokens; with the answer's room, no space for an outline
    backend = _backend(
        lambda r: '{"items": [], "priority": "low"}',
        constrained=True,
        max_context=120,
        tokenizer=True,
    )
    generate_structured(backend, prompt, Order)
    (request,) = backend.requests  # type: ignore[attr-defined]
    assert request.prompt == prompt


def test_a_small_context_gets_the_field_names_only() -> None:
    backend = _backend(
        lambda r: '{"items": [], "priority": "low"}',
        constrained=True,
        max_context=130,
        tokenizer=True,
    )
    generate_structured(backend, "An order.", Order)
    (request,) = backend.requests  # type: ignore[attr-defined]
    assert '{"items": ..., "priority": ..., "note": ...}' in request.prompt
    assert "sku" not in request.prompt


def test_a_context_error_drops_the_hint_of_a_constrained_call() -> None:
    def answer(request: Request) -> str:
        if "Answer with" in _prompt_of(request):  # any outline is too much
            raise ContextLengthError("too long", prompt_tokens=500, max_context=512)
        return '{"day": "Friday", "time": "10:30"}'

    backend = _backend(answer, constrained=True)
    result = generate_structured_result(backend, "Friday at 10:30", Meeting)
    prompts = [_prompt_of(r) for r in backend.requests]  # type: ignore[attr-defined]
    assert result.output.day == "Friday" and len(result.attempts) == 1
    assert '"day": string' in prompts[0]
    assert '"day": ...' in prompts[1]
    assert prompts[2] == "Friday at 10:30"


def test_a_context_error_lowers_an_unset_max_tokens_to_the_room_reported() -> None:
    def answer(request: Request) -> str:
        if request.params.max_tokens > 100:
            raise ContextWindowExceededError("too long", prompt_tokens=430, max_context=512)
        return '{"day": "Friday", "time": "10:30"}'

    backend = _backend(answer)
    generate_structured(backend, "Friday at 10:30", Meeting)
    sent = [r.params.max_tokens for r in backend.requests]  # type: ignore[attr-defined]
    assert sent == [256, 256, 82]  # the full outline, the names, then the room left


def test_a_context_error_without_numbers_halves_max_tokens() -> None:
    def answer(request: Request) -> str:
        if request.params.max_tokens > 64:
            raise ContextWindowExceededError("the prompt is too long for this model")
        return '{"day": "Friday", "time": "10:30"}'

    backend = _backend(answer)
    generate_structured(backend, "Friday at 10:30", Meeting)
    sent = [r.params.max_tokens for r in backend.requests]  # type: ignore[attr-defined]
    assert sent == [256, 256, 128, 64]


def test_a_max_tokens_the_caller_set_is_never_changed() -> None:
    def answer(request: Request) -> str:
        raise ContextWindowExceededError("too long", prompt_tokens=430, max_context=512)

    backend = _backend(answer)
    with pytest.raises(ContextWindowExceededError):
        generate_structured(backend, "Friday at 10:30", Meeting, max_tokens=200)
    sent = [r.params.max_tokens for r in backend.requests]  # type: ignore[attr-defined]
    assert sent == [200, 200]
