"""The local decoder: model, KV cache, sampling, generation and checkpoint loading.

Everything under ``promptcraft.nn`` imports torch; nothing outside it (and the local
backend) may import this package at module level.
"""

from ..params import GenerationParams
from .config import ModelConfig, RopeScaling
from .generate import Generator, Prompt
from .kv_cache import KVCache
from .loaders import load_model, save_model
from .model import Decoder
from .outputs import FinishReason, GenerationOutput, StreamEvent, TokenLogprob, TopLogprob, Usage

__all__ = [
    "Decoder",
    "FinishReason",
    "GenerationOutput",
    "GenerationParams",
    "Generator",
    "KVCache",
    "ModelConfig",
    "Prompt",
    "RopeScaling",
    "StreamEvent",
    "TokenLogprob",
    "TopLogprob",
    "Usage",
    "load_model",
    "save_model",
]
