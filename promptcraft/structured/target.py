"""What structured output needs of a backend, as a protocol: every
:class:`~promptcraft.backends.base.Backend` satisfies it.

Structured output sits below the backends (they run templates that declare an ``output:``
through it), so it names the few members it calls instead of importing the backend class.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ..coerce import MessagesLike, ParamsLike
from ..tokenizers.tokenizer import Tokenizer
from ..types import Capabilities, Completion

__all__ = ["GenerationTarget"]


class GenerationTarget(Protocol):
    """A model to generate on: the sync and async calls, a batch, and what it can do."""

    model: str
    tokenizer: Tokenizer | None
    capabilities: Capabilities

    def generate(self, prompt: str, params: ParamsLike = None, **overrides: Any) -> Completion: ...

    def chat(
        self, messages: MessagesLike, params: ParamsLike = None, **overrides: Any
    ) -> Completion: ...

    async def agenerate(
        self, prompt: str, params: ParamsLike = None, **overrides: Any
    ) -> Completion: ...

    async def achat(
        self, messages: MessagesLike, params: ParamsLike = None, **overrides: Any
    ) -> Completion: ...

    def generate_batch(
        self, prompts: Sequence[str | MessagesLike], params: ParamsLike = None, **overrides: Any
    ) -> list[Completion]: ...
