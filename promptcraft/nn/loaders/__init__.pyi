"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from .hf_save import save_model as save_model
from .load import (
    FORMATS as FORMATS,
    load_decoder as load_decoder,
    load_model as load_model,
    open_source as open_source,
)
from .source import Format as Format, SourceTensor as SourceTensor, TensorSource as TensorSource
