"""Loading and saving checkpoints: one path for every format.

A checkpoint is a *tensor source* (:mod:`.source`): a Hugging Face safetensors directory
(:mod:`.hf_directory`) or a GGUF file (:mod:`.gguf_file`, :mod:`.gguf_config`) presents
its config and its tensors under Hugging Face names. One mapping (:mod:`.hf_layout`,
:mod:`.assemble`) checks those names and shapes and fills a :class:`Decoder` with them;
:mod:`.load` picks the format, :mod:`.hf_save` writes the Hugging Face layout back.
"""

from ...utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
