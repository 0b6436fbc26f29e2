"""Tokenizers: one tiktoken-backed byte-level BPE :class:`Tokenizer`, and its file formats.

- :mod:`.tokenizer`: the ``Tokenizer`` itself and tiktoken's named encodings;
- :mod:`.files`: loading tiktoken rank files, Hugging Face ``tokenizer.json``, GPT-2's
  ``vocab.json`` + ``merges.txt`` and whole model directories;
- :mod:`.gguf_vocab`: the vocabulary a GGUF file (llama.cpp's format) carries;
- :mod:`.hf_convert`: the exact conversion between Hugging Face BPE and tiktoken ranks;
- :mod:`.missing_bytes`: encoding text holding bytes a vocabulary has no token for;
- :mod:`.writers`: saving a tokenizer in both layouts;
- :mod:`.bpe_training`: training a new vocabulary.

Never imports torch: template rendering counts tokens with it.
"""

from .files import load_hf_tokenizer_json, load_tiktoken_file, load_tokenizer_dir, load_vocab_merges
from .gguf_vocab import gguf_adds_bos_token, load_gguf_tokenizer, tokenizer_from_gguf
from .tokenizer import StreamDecoder, Tokenizer, get_tokenizer, resolve_tokenizer

__all__ = [
    "StreamDecoder",
    "Tokenizer",
    "get_tokenizer",
    "gguf_adds_bos_token",
    "load_gguf_tokenizer",
    "load_hf_tokenizer_json",
    "load_tiktoken_file",
    "load_tokenizer_dir",
    "load_vocab_merges",
    "resolve_tokenizer",
    "tokenizer_from_gguf",
]
