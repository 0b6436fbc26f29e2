"""The engine raises its own errors (``EngineError``); the two refusals a backend promises
(context length, invalid request) are the backend's classes too, and the local backend
translates the others."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest

from promptcraft.backends.local import LocalBackend
from promptcraft.errors import (
    BackendError,
    ContextLengthError,
    EngineClosedError,
    EngineContextLengthError,
    EngineError,
    EngineRequestError,
    InvalidRequestError,
)
from promptcraft.nn import Decoder, GenerationParams, Generator
from promptcraft.nn.continuous_batching import BatchEngine, Delivery
from promptcraft.tokenizers.tokenizer import Tokenizer


def test_the_generator_raises_engine_errors_that_are_the_backends_refusals(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    generator = Generator(tiny_model(), bundled_tokenizer)
    context = generator.context_length
    with pytest.raises(EngineContextLengthError) as too_long:
        generator.generate([5] * context, max_tokens=4)
    assert isinstance(too_long.value, ContextLengthError)
    with pytest.raises(EngineRequestError) as bad_id:
        generator.generate([10**6], max_tokens=1)
    assert isinstance(bad_id.value, InvalidRequestError) and bad_id.value.field == "prompt"


def _run_until_closed(engine: BatchEngine) -> BaseException:
    failures: list[BaseException] = []
    got = threading.Event()

    def deliver(item: Delivery) -> None:
        if isinstance(item, BaseException):
            failures.append(item)
            got.set()

    engine.submit([5, 6, 7], GenerationParams(max_tokens=50, temperature=0), deliver)
    engine.close()  # before any turn: the waiting sequence ends with the engine's error
    assert got.is_set()
    return failures[0]


def test_a_closed_engine_ends_its_sequences_with_its_own_error(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    engine = BatchEngine(Generator(tiny_model(), bundled_tokenizer), max_batch=2, own_thread=False)
    error = _run_until_closed(engine)
    assert isinstance(error, EngineClosedError) and not isinstance(error, BackendError)


def test_the_local_backend_delivers_an_engine_error_as_a_backend_error(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    backend = LocalBackend(tiny_model(), bundled_tokenizer)
    error = _run_until_closed(backend.batch_engine(max_batch=2, own_thread=False))
    assert type(error) is BackendError and "shutting down" in str(error)
    assert isinstance(error.__cause__, EngineClosedError)


def test_a_backend_call_turns_any_other_engine_error_into_a_backend_error(
    tiny_model: Callable[..., Decoder],
    bundled_tokenizer: Tokenizer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    backend = LocalBackend(tiny_model(), bundled_tokenizer)

    def fail(*args: object, **kwargs: object) -> None:
        raise EngineError("the engine broke")

    monkeypatch.setattr(backend.generator, "generate", fail)
    with pytest.raises(BackendError, match="the engine broke") as info:
        backend.generate("hi", max_tokens=1)
    assert isinstance(info.value.__cause__, EngineError)
