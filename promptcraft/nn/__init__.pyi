"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..types import (
    FinishReason as FinishReason,
    GenerationParams as GenerationParams,
    TokenLogprob as TokenLogprob,
    TopLogprob as TopLogprob,
    Usage as Usage,
)
from .config import ModelConfig as ModelConfig, RopeScaling as RopeScaling
from .generate import Generator as Generator, Prompt as Prompt
from .kv_cache import KVCache as KVCache
from .loaders import load_model as load_model, save_model as save_model
from .model import Decoder as Decoder
from .outputs import GenerationOutput as GenerationOutput, StreamEvent as StreamEvent
