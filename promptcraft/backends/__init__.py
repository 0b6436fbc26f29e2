"""Backends: one interface (:class:`Backend`) over the local decoder and remote
OpenAI-compatible servers. Start with :func:`load_backend`.

Names are imported lazily (PEP 562): ``import promptcraft.backends`` never imports torch;
only touching :class:`LocalBackend` (or loading a local model) does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Backend": "promptcraft.backends.base",
    "BackendSpec": "promptcraft.backends.spec",
    "Capabilities": "promptcraft.backends.types",
    "ChatTemplate": "promptcraft.backends.chat_template",
    "Chunk": "promptcraft.backends.types",
    "Completion": "promptcraft.backends.types",
    "LocalBackend": "promptcraft.backends.local",
    "OpenAIBackend": "promptcraft.backends.openai",
    "Request": "promptcraft.backends.types",
    "RetryPolicy": "promptcraft.backends.retry",
    "ToolCall": "promptcraft.backends.types",
    "load_backend": "promptcraft.backends.spec",
    "parse_backend_spec": "promptcraft.backends.spec",
    # shared with the decoder; defined in torch-free modules
    "FinishReason": "promptcraft.generation_types",
    "GenerationParams": "promptcraft.params",
    "TokenLogprob": "promptcraft.generation_types",
    "TopLogprob": "promptcraft.generation_types",
    "Usage": "promptcraft.generation_types",
}

__all__ = [
    "Backend",
    "BackendSpec",
    "Capabilities",
    "ChatTemplate",
    "Chunk",
    "Completion",
    "FinishReason",
    "GenerationParams",
    "LocalBackend",
    "OpenAIBackend",
    "Request",
    "RetryPolicy",
    "TokenLogprob",
    "ToolCall",
    "TopLogprob",
    "Usage",
    "load_backend",
    "parse_backend_spec",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ..generation_types import FinishReason, TokenLogprob, TopLogprob, Usage
    from ..params import GenerationParams
    from .base import Backend
    from .chat_template import ChatTemplate
    from .local import LocalBackend
    from .openai import OpenAIBackend
    from .retry import RetryPolicy
    from .spec import BackendSpec, load_backend, parse_backend_spec
    from .types import Capabilities, Chunk, Completion, Request, ToolCall
