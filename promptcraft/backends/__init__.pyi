"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..types import (
    Capabilities as Capabilities,
    Chunk as Chunk,
    Completion as Completion,
    FinishReason as FinishReason,
    GenerationParams as GenerationParams,
    Request as Request,
    TokenLogprob as TokenLogprob,
    ToolCall as ToolCall,
    TopLogprob as TopLogprob,
    Usage as Usage,
)
from .base import Backend as Backend
from .chat_template import ChatTemplate as ChatTemplate
from .local import LocalBackend as LocalBackend
from .openai import OpenAIBackend as OpenAIBackend
from .retry import RetryPolicy as RetryPolicy
from .spec import (
    BackendSpec as BackendSpec,
    load_backend as load_backend,
    parse_backend_spec as parse_backend_spec,
)
