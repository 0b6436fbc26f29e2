"""Scripted backends for evaluation tests: the runner is tested without a model."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator

from promptcraft.backends.base import Backend
from promptcraft.types import Chunk, Completion, Request, Usage


class RecordingBackend(Backend):
    """Answers ``answer(prompt_text, request)``; counts calls and the most requests that were
    ever in flight at once. ``delay`` (seconds) makes async calls overlap."""

    def __init__(self, answer: Callable[[str, Request], str], *, delay: float = 0.0) -> None:
        self.answer = answer
        self.delay = delay
        self.model = "scripted"
        self.calls = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()

    def _text(self, request: Request) -> str:
        if request.prompt is not None:
            return request.prompt
        assert request.messages is not None
        return "\n".join(m.content for m in request.messages)

    def _complete(self, request: Request) -> Completion:
        with self._lock:
            self.calls += 1
        prompt = self._text(request)
        text = self.answer(prompt, request)
        usage = Usage(prompt_tokens=len(prompt.split()), completion_tokens=len(text.split()))
        return Completion(text=text, finish_reason="stop", usage=usage, model=self.model)

    def _stream(self, request: Request) -> Iterator[Chunk]:
        completion = self._complete(request)
        yield Chunk(text=completion.text)
        yield Chunk(finish_reason="stop", usage=completion.usage)

    async def _acomplete(self, request: Request) -> Completion:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
            return self._complete(request)
        finally:
            with self._lock:
                self.in_flight -= 1


def last_line_word_count(prompt: str, request: Request) -> str:
    """Counts the words of the prompt's last input line: a perfect counting model."""
    lines = [line for line in prompt.splitlines() if line.startswith("Input:")]
    words = lines[-1].removeprefix("Input:").split() if lines else prompt.split()
    return f" {len(words)}"
