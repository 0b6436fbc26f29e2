"""``Backend``: the one interface every model sits behind, local or remote.

Like httpx's clients, the sync and async methods are thin twins over one implementation.
Each public method validates its arguments into a :class:`~.types.Request` and hands it to
the backend's core:

- ``_complete(request) -> Completion`` and ``_stream(request) -> Iterator[Chunk]``: every
  backend implements these two;
- ``_acomplete`` and ``_astream``: by default the sync core runs in a worker thread, so the
  event loop is never blocked. A backend with native async I/O overrides them.
"""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..coerce import MessagesLike, ParamsLike
from ..errors import BackendError
from ..tokenizers.tokenizer import Tokenizer
from ..types import Capabilities, Chunk, Completion, Request
from .concurrency import iterate_in_thread
from .requests import build_request

if TYPE_CHECKING:
    from ..prompts.template import PromptTemplate

__all__ = ["Backend"]


class Backend(ABC):
    """Generates text from a prompt or a conversation.

    Parameters (see :class:`~promptcraft.types.GenerationParams`) come as keyword arguments,
    as a ``params`` model or mapping, or both (keywords win)::

        backend = pc.load_backend()
        out = backend.generate("Q: 2+2?\\nA:", max_tokens=8, temperature=0)
        out = backend.chat([{"role": "user", "content": "Hi"}], stop=["\\n"])
        for chunk in backend.stream("Once upon a time", max_tokens=50):
            print(chunk.text, end="")

    An unknown or out-of-range parameter raises
    :class:`~promptcraft.errors.InvalidRequestError` naming it, before any work starts.
    """

    #: The model's name; each Completion reports it.
    model: str = ""
    #: Other names the same model answers to (a local model with an adapter: the base model's
    #: name and the adapter's); ``promptcraft serve`` accepts and lists them too.
    model_aliases: tuple[str, ...] = ()
    #: The model's tokenizer, when the backend knows it (remote backends may not).
    tokenizer: Tokenizer | None = None
    capabilities: Capabilities = Capabilities()

    # --- public API: sync ------------------------------------------------------------------

    def generate(self, prompt: str, params: ParamsLike = None, **overrides: Any) -> Completion:
        """Complete a text prompt."""
        if not isinstance(prompt, str):
            raise TypeError(
                f"generate() takes a text prompt, not {type(prompt).__name__}; "
                "pass messages to chat()"
            )
        return self._complete(build_request(prompt, params, overrides, self.capabilities))

    def chat(
        self, messages: MessagesLike, params: ParamsLike = None, **overrides: Any
    ) -> Completion:
        """Continue a conversation: the next assistant message."""
        return self._complete(self._chat_request(messages, params, overrides))

    def stream(
        self,
        prompt_or_messages: str | MessagesLike,
        params: ParamsLike = None,
        **overrides: Any,
    ) -> Iterator[Chunk]:
        """Generate piece by piece: a text prompt (``str``) or a conversation (messages).
        Joined, the chunks' texts equal what ``generate``/``chat`` returns."""
        return self._stream(build_request(prompt_or_messages, params, overrides, self.capabilities))

    def generate_batch(
        self,
        prompts: Sequence[str | MessagesLike],
        params: ParamsLike = None,
        **overrides: Any,
    ) -> list[Completion]:
        """Complete several prompts (texts, or conversations for chat), in order. Here one by
        one; a backend that runs them together (``capabilities.batching``) overrides it."""
        return [
            self._complete(build_request(p, params, overrides, self.capabilities)) for p in prompts
        ]

    def run_template(
        self,
        template: PromptTemplate,
        inputs: Mapping[str, Any],
        params: ParamsLike = None,
    ) -> Completion | Any:
        """What ``template.run(backend, **inputs)`` does: render, then generate (chat
        templates through :meth:`chat`). A template that declares ``output:`` returns the
        parsed output, through :func:`~promptcraft.structured.generate_structured`."""
        if template.output.type != "text":
            from ..structured.generate import generate_structured

            return generate_structured(self, template, inputs=inputs, params=params)
        prompt, merged = template.prepare_call(inputs, params, tokenizer=self.tokenizer)
        if prompt.messages is not None:
            return self.chat(prompt.messages, merged)
        assert prompt.text is not None
        return self.generate(prompt.text, merged)

    async def arun_template(
        self,
        template: PromptTemplate,
        inputs: Mapping[str, Any],
        params: ParamsLike = None,
    ) -> Completion | Any:
        """:meth:`run_template` without blocking the event loop."""
        if template.output.type != "text":
            from ..structured.generate import agenerate_structured

            return await agenerate_structured(self, template, inputs=inputs, params=params)
        prompt, merged = template.prepare_call(inputs, params, tokenizer=self.tokenizer)
        if prompt.messages is not None:
            return await self.achat(prompt.messages, merged)
        assert prompt.text is not None
        return await self.agenerate(prompt.text, merged)

    def cache_identity(self) -> str:
        """A string that changes whenever this backend would answer the same request
        differently; evaluation's response cache keys on it. Here the class and the model
        name; backends with more state (a server URL, local weights) add it."""
        return f"{type(self).__qualname__}|{self.model}"

    def count_tokens(self, text: str) -> int:
        """Tokens of ``text`` under the model's tokenizer."""
        if not isinstance(text, str):
            raise TypeError(f"count_tokens() takes a text (str), not {type(text).__name__}")
        if self.tokenizer is None:
            raise BackendError(f"backend {self!r} has no tokenizer to count tokens with")
        return self.tokenizer.count(text)

    # --- public API: async twins -----------------------------------------------------------

    async def agenerate(
        self, prompt: str, params: ParamsLike = None, **overrides: Any
    ) -> Completion:
        """:meth:`generate` without blocking the event loop."""
        if not isinstance(prompt, str):
            raise TypeError(
                f"agenerate() takes a text prompt, not {type(prompt).__name__}; "
                "pass messages to achat()"
            )
        return await self._acomplete(build_request(prompt, params, overrides, self.capabilities))

    async def achat(
        self, messages: MessagesLike, params: ParamsLike = None, **overrides: Any
    ) -> Completion:
        """:meth:`chat` without blocking the event loop."""
        return await self._acomplete(self._chat_request(messages, params, overrides))

    def astream(
        self,
        prompt_or_messages: str | MessagesLike,
        params: ParamsLike = None,
        **overrides: Any,
    ) -> AsyncIterator[Chunk]:
        """:meth:`stream` without blocking the event loop: ``async for chunk in ...``."""
        return self._astream(
            build_request(prompt_or_messages, params, overrides, self.capabilities)
        )

    # --- lifetime --------------------------------------------------------------------------

    def close(self) -> None:  # noqa: B027 - optional hook: most local backends hold nothing
        """Release what the backend holds (connections, caches). Idempotent."""

    async def aclose(self) -> None:
        self.close()

    def __enter__(self) -> Backend:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    async def __aenter__(self) -> Backend:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"{type(self).__name__}(model={self.model!r})"

    # --- the one implementation, per backend ---------------------------------------------------

    @abstractmethod
    def _complete(self, request: Request) -> Completion:
        """Run a request to the end."""

    @abstractmethod
    def _stream(self, request: Request) -> Iterator[Chunk]:
        """Run a request, yielding chunks; the last has ``finish_reason`` and ``usage``."""

    async def _acomplete(self, request: Request) -> Completion:
        return await asyncio.to_thread(self._complete, request)

    def _astream(self, request: Request) -> AsyncIterator[Chunk]:
        return iterate_in_thread(lambda: self._stream(request))

    def _chat_request(
        self, messages: MessagesLike, params: ParamsLike, overrides: dict[str, Any]
    ) -> Request:
        if isinstance(messages, str):
            raise TypeError("chat() takes a list of messages; pass a text prompt to generate()")
        return build_request(messages, params, overrides, self.capabilities)
