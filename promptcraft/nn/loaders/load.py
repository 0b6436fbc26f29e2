"""``load_model``: a model name or path in, a Decoder and its tokenizer out, one path for
every checkpoint format."""

from __future__ import annotations

import os

import torch

from ...errors import DeviceError, ModelLoadError
from ...tokenizers.tokenizer import Tokenizer
from ...utils.threads import apply_threads, resolve_threads
from ..catalog import resolve_local_model
from ..device import resolve_device
from ..model import Decoder
from ..precision import parse_quantization
from . import gguf_file, hf_directory
from .assemble import build_decoder, checked_layout
from .hf_layout import Piece
from .source import Format, TensorSource, resolve_dtype

__all__ = ["FORMATS", "load_decoder", "load_model", "open_source"]

#: The checkpoint formats, asked in order whether a path is theirs.
FORMATS: tuple[Format, ...] = (hf_directory.FORMAT, gguf_file.FORMAT)

ModelPath = str | os.PathLike[str] | None


def load_model(
    path: ModelPath = None,
    *,
    dtype: str | torch.dtype | None = None,
    threads: int | None = None,
    device: str | torch.device | None = None,
) -> tuple[Decoder, Tokenizer]:
    """Load a decoder and its tokenizer.

    ``path`` is a Hugging Face checkpoint directory, a GGUF file, a model name of the
    catalog (``"smollm2"``, ``"pc-tiny"``), or None for the default model. ``dtype``
    (``"float32"``, ``"bfloat16"``, ``"float16"``, ``"auto"`` for the checkpoint's own, or
    ``"int8"`` or ``"int4"``/``"int4-g64"``: quantised weights and bfloat16 activations,
    :mod:`promptcraft.nn.quantized`; a GGUF file's Q4_0/Q4_1 blocks load into int4 as they are)
    sets the weights' precision; None means float32 (for a GGUF file, the exact dequantised
    weights; ``GGUFSource.default_dtype`` says why not bfloat16). The model is returned in
    eval mode. Raises :class:`ModelLoadError` naming the file (and tensor or
    setting) at fault. ``threads``: the CPU threads torch computes with in this process
    from now on (:mod:`promptcraft.utils.threads`: torch's own setting is process-wide; a
    backend sets its own at each call); None leaves torch's setting as it is. ``device``:
    where the model computes (:mod:`promptcraft.nn.device`): ``"cpu"`` (None) or
    ``"cuda"``/``"cuda:N"`` where torch has it, else
    :class:`~promptcraft.errors.DeviceError` naming the device, before anything is read.
    """
    target = _target_device(device, dtype)
    if threads is not None:
        apply_threads(resolve_threads(threads))
    source = open_source(path)
    layout = checked_layout(source)
    tokenizer = _checked_tokenizer(source)  # before the weights: a bad one fails fast
    return _build(source, layout, dtype, target), tokenizer


def load_decoder(
    path: ModelPath = None,
    *,
    dtype: str | torch.dtype | None = None,
    device: str | torch.device | None = None,
) -> Decoder:
    """:func:`load_model` without the tokenizer: the weights alone."""
    target = _target_device(device, dtype)
    source = open_source(path)
    return _build(source, checked_layout(source), dtype, target)


def _target_device(
    device: str | torch.device | None, dtype: str | torch.dtype | None
) -> torch.device:
    target = resolve_device(device)
    if target.type != "cpu" and parse_quantization(dtype) is not None:
        raise DeviceError(
            f"dtype {dtype!r} computes on the CPU only (torch's quantised kernels are CPU "
            f"kernels), not on device {str(device)!r}: load the model in float32, bfloat16 or "
            "float16 there, or on the CPU",
            device=str(device),
        )
    return target


def _build(
    source: TensorSource,
    layout: list[Piece],
    dtype: str | torch.dtype | None,
    device: torch.device,
) -> Decoder:
    quantization = parse_quantization(dtype)
    torch_dtype = resolve_dtype(None if quantization else dtype, source)
    return build_decoder(source, layout, torch_dtype, quantization, device=device)


def open_source(path: ModelPath = None) -> TensorSource:
    """The tensor source of a model name or path (its headers read and checked)."""
    location, _ = resolve_local_model(path)
    if not location.exists():
        raise ModelLoadError(f"model path {location} does not exist", path=str(location))
    for checkpoint_format in FORMATS:
        if checkpoint_format.claims(location):
            return checkpoint_format.open(location)
    kinds = " or ".join(f.name for f in FORMATS)
    raise ModelLoadError(f"{location} is not a {kinds}", path=str(location))


def _checked_tokenizer(source: TensorSource) -> Tokenizer:
    """The source's tokenizer, checked against the model's vocabulary, with the special
    tokens the model's config names."""
    config = source.config
    tokenizer = source.load_tokenizer()
    if tokenizer.n_vocab > config.vocab_size:
        vocab = [*tokenizer.special_tokens.items()] + [
            (token.decode("utf-8", "replace"), token_id)
            for token, token_id in tokenizer.mergeable_ranks.items()
        ]
        beyond = sorted((i, text) for text, i in vocab if i >= config.vocab_size)
        shown = ", ".join(f"{text!r} (id {token_id})" for token_id, text in beyond[:3])
        more = f" and {len(beyond) - 3} more" if len(beyond) > 3 else ""
        raise ModelLoadError(
            f"{source.path}: the tokenizer has {tokenizer.n_vocab} tokens but the model embeds "
            f"only {config.vocab_size} ({source.key('vocab_size')} in {source.config_name}); "
            f"tokens beyond it: {shown}{more}. Do the tokenizer files belong to this model?",
            path=str(source.path),
        )
    # The model's config is the authority on its special tokens; fill what the tokenizer
    # left unset so callers can ask either.
    if tokenizer.bos_token_id is None:
        tokenizer.bos_token_id = config.bos_token_id
    if tokenizer.eos_token_id is None and config.eos_token_ids:
        tokenizer.eos_token_id = config.eos_token_ids[0]
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token_id = config.pad_token_id
    return tokenizer
