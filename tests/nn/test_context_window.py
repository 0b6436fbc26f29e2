"""The one context-length policy (``promptcraft.nn.context.ContextWindow``), which the
generator, the batch engine, ranked choices and the local backend all use."""

from __future__ import annotations

import pytest

from promptcraft.errors import ContextLengthError, EngineContextLengthError, EngineError
from promptcraft.nn.context import GENERATOR_TRUNCATE_HINT, ContextWindow
from promptcraft.types import GenerationParams

BOS = 1


def test_a_prompt_that_fits_comes_back_as_it_was() -> None:
    ids, params = [BOS, 5, 6], GenerationParams(max_tokens=4)
    assert ContextWindow(7).fit(ids, params) == (ids, params)
    assert ContextWindow(7).fit(ids, params)[1] is params


def test_an_unset_max_tokens_shrinks_to_the_room_left_only_when_asked() -> None:
    params = GenerationParams()  # max_tokens 256, not set by the caller
    ids, fitted = ContextWindow(10, shrink=True).fit([5] * 6, params)
    assert (ids, fitted.max_tokens) == ([5] * 6, 4)
    with pytest.raises(ContextLengthError, match="exceeds the model's context of 10 tokens"):
        ContextWindow(10).fit([5] * 6, params)


def test_left_truncation_keeps_a_leading_bos() -> None:
    window = ContextWindow(6, truncate="left", bos=BOS)
    ids, _ = window.fit([BOS, 2, 3, 4, 5, 6, 7], GenerationParams(max_tokens=2))
    assert ids == [BOS, 5, 6, 7]
    plain = ContextWindow(6, truncate="left")
    assert plain.fit_prompt([BOS, 2, 3, 4, 5, 6, 7], 2) == [4, 5, 6, 7]
    assert window.fit_continuations([BOS, 2, 3, 4, 5, 6, 7], 3) == [BOS, 6, 7]


def test_a_prompt_that_does_not_fit_raises_the_engines_context_error() -> None:
    window = ContextWindow(8, model="m", truncate_hint=GENERATOR_TRUNCATE_HINT)
    with pytest.raises(ContextLengthError) as info:
        window.fit_prompt([5] * 6, 4)
    error = info.value
    assert isinstance(error, EngineContextLengthError) and isinstance(error, EngineError)
    assert (error.prompt_tokens, error.max_context) == (6, 8)
    assert str(error) == (
        "the prompt has 6 tokens and max_tokens is 4: 10 exceeds the context of 8 tokens of "
        "model 'm' (shorten the prompt, lower max_tokens, or pass truncate=True)"
    )


def test_max_tokens_alone_too_large_is_said_even_when_truncating() -> None:
    window = ContextWindow(8, truncate="left", model="m")
    with pytest.raises(ContextLengthError, match="max_tokens is 8, which leaves no room"):
        window.fit([5] * 3, GenerationParams(max_tokens=8))


def test_min_tokens_beyond_the_room_left_is_named() -> None:
    window = ContextWindow(8, shrink=True, model="m")
    with pytest.raises(ContextLengthError, match=r"leaves 2 of the context.*min_tokens is 3"):
        window.fit([5] * 6, GenerationParams(min_tokens=3))
