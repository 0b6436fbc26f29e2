"""Tokenizers: one tiktoken-backed byte-level BPE :class:`Tokenizer`, and its file formats.

- :mod:`.tokenizer`: the ``Tokenizer`` itself and tiktoken's named encodings;
- :mod:`.files`: loading tiktoken rank files, Hugging Face ``tokenizer.json``, GPT-2's
  ``vocab.json`` + ``merges.txt`` and whole model directories;
- :mod:`.gguf_vocab`: the vocabulary a GGUF file (llama.cpp's format) carries;
- :mod:`.hf_convert`: the exact conversion between Hugging Face BPE and tiktoken ranks;
- :mod:`.missing_bytes`: encoding text holding bytes a vocabulary has no token for;
- :mod:`.writers`: saving a tokenizer in both layouts;

Never imports torch: template rendering counts tokens with it.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
