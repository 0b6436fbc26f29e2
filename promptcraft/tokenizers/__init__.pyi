"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from .files import (
    load_hf_tokenizer_json as load_hf_tokenizer_json,
    load_tiktoken_file as load_tiktoken_file,
    load_tokenizer_dir as load_tokenizer_dir,
    load_vocab_merges as load_vocab_merges,
)
from .gguf_vocab import (
    gguf_adds_bos_token as gguf_adds_bos_token,
    load_gguf_tokenizer as load_gguf_tokenizer,
    tokenizer_from_gguf as tokenizer_from_gguf,
)
from .tokenizer import (
    StreamDecoder as StreamDecoder,
    Tokenizer as Tokenizer,
    get_tokenizer as get_tokenizer,
    resolve_tokenizer as resolve_tokenizer,
)
from .writers import save_hf_tokenizer as save_hf_tokenizer, save_tiktoken as save_tiktoken
