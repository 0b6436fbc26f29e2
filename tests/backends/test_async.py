"""The async twins: same results as the sync methods, and the event loop keeps running."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Any

import pytest

from promptcraft.backends import LocalBackend

GREEDY: dict[str, Any] = {"temperature": 0.0}
MESSAGES = [{"role": "user", "content": "What is two plus two?"}]


def test_agenerate_equals_generate(backend: LocalBackend) -> None:
    whole = backend.generate("The quick", max_tokens=10, logprobs=1, **GREEDY)
    out = asyncio.run(backend.agenerate("The quick", max_tokens=10, logprobs=1, **GREEDY))
    assert out.text == whole.text
    assert out.finish_reason == whole.finish_reason
    assert out.usage.completion_tokens == whole.usage.completion_tokens
    assert out.logprobs is not None and whole.logprobs is not None
    assert [s.token_id for s in out.logprobs] == [s.token_id for s in whole.logprobs]
    # equal up to float rounding: the second call reuses the first one's cached prefix
    assert [s.logprob for s in out.logprobs] == pytest.approx(
        [s.logprob for s in whole.logprobs], abs=1e-4
    )


def test_achat_equals_chat(backend: LocalBackend) -> None:
    whole = backend.chat(MESSAGES, max_tokens=10, **GREEDY)
    assert asyncio.run(backend.achat(MESSAGES, max_tokens=10, **GREEDY)).text == whole.text


def test_astream_joins_to_the_text_of_generate(backend: LocalBackend) -> None:
    whole = backend.generate("Summarize", max_tokens=15, **GREEDY)

    async def collect() -> list[Any]:
        return [chunk async for chunk in backend.astream("Summarize", max_tokens=15, **GREEDY)]

    chunks = asyncio.run(collect())
    assert "".join(c.text for c in chunks) == whole.text
    assert chunks[-1].finish_reason == "length"


def test_event_loop_runs_other_coroutines_while_generating(
    fresh_backend: LocalBackend,
) -> None:
    # The model's first forward pass waits until another coroutine has run. Were the
    # generation on the event loop's thread, that coroutine could not run: the wait would
    # time out.
    other_ran = threading.Event()
    waits: list[bool] = []
    hook = fresh_backend.decoder.register_forward_pre_hook(
        lambda module, args: waits.append(other_ran.wait(timeout=30)) if not waits else None
    )

    async def other() -> None:
        other_ran.set()

    async def main() -> None:
        await asyncio.gather(fresh_backend.agenerate("hello", max_tokens=3, **GREEDY), other())

    try:
        asyncio.run(main())
    finally:
        hook.remove()
    assert waits == [True]


def test_cancelling_agenerate_stops_the_generation(fresh_backend: LocalBackend) -> None:
    # Forward passes after the second wait for `release`; the task is cancelled while the
    # third waits. A cancelled generation stops after that pass; one that kept going would
    # run a pass per remaining token.
    reached_third, release = threading.Event(), threading.Event()
    passes: list[int] = []

    def gate(module: object, args: object) -> None:
        passes.append(1)
        if len(passes) == 3:
            reached_third.set()
            release.wait(timeout=30)

    hook = fresh_backend.decoder.register_forward_pre_hook(gate)

    async def main() -> None:
        task = asyncio.create_task(fresh_backend.agenerate("hello", max_tokens=50, **GREEDY))
        await asyncio.to_thread(reached_third.wait, 30)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    try:
        asyncio.run(main())
        release.set()
        after = fresh_backend.generate("hello", max_tokens=2, **GREEDY)  # waits for the lock
    finally:
        hook.remove()
    assert after.usage.completion_tokens == 2
    assert len(passes) == 3 + 2  # the cancelled run's three, then this call's prefill + 1
