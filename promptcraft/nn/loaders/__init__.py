"""Loading and saving checkpoints: one path for every format.

A checkpoint is a *tensor source* (:mod:`.source`): a Hugging Face safetensors directory
(:mod:`.hf_directory`) or a GGUF file (:mod:`.gguf_file`, :mod:`.gguf_config`) presents
its config and its tensors under Hugging Face names. One mapping (:mod:`.hf_layout`,
:mod:`.assemble`) checks those names and shapes and fills a :class:`Decoder` with them;
:mod:`.load` picks the format, :mod:`.hf_save` writes the Hugging Face layout back.
"""

from .hf_save import save_model
from .load import FORMATS, load_decoder, load_model, open_source
from .source import Format, SourceTensor, TensorSource

__all__ = [
    "FORMATS",
    "Format",
    "SourceTensor",
    "TensorSource",
    "load_decoder",
    "load_model",
    "open_source",
    "save_model",
]
