"""The one mapping from any tensor source onto a :class:`Decoder`.

Every tensor name and shape is checked against the config before any weight is read, so a
bad checkpoint fails with one error naming the file, the tensor and the setting to look
at, never half-loaded. The model is then built on the meta device (no random init), given
empty storage in its final dtype and memory layout, and filled tensor by tensor: the peak
is the model plus one tensor, whatever the format.

A quantised model (:mod:`..quantized`) never holds its projections in float: each is
built from its source tensors when the rest is filled, from the file's own 4-bit blocks
where they map onto the int4 layer exactly (``SourceTensor.int4_weight``), otherwise by
quantising the tensor's float values.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator

import torch

from ...errors import ModelLoadError
from ..architectures import REGISTRY
from ..config import ModelConfig
from ..model import Decoder
from ..precision import OUTPUT_LAYER, Quantization
from ..quantized import Int4Linear, Int4Weight, Int8Embedding, Int8Linear
from .hf_layout import IGNORED_SUFFIXES, Piece, hf_layout
from .memory import return_freed_memory
from .source import SourceTensor, TensorSource

__all__ = ["build_decoder", "check_finite", "checked_layout"]

# The block a Hugging Face tensor belongs to: "model.layers.3." (Llama) or "h.3." (GPT-2),
# as each family's Architecture.hf_block_prefix says.
_LAYER_NAME = re.compile(
    "(?:" + "|".join(re.escape(a.hf_block_prefix) for a in REGISTRY.values()) + r")\.(\d+)\."
)
_EMBEDDING = "tok_emb"


def checked_layout(source: TensorSource) -> list[Piece]:
    """The Decoder's parameters and the source tensors each is made of, after checking
    that the source holds exactly those tensors, in readable types and the right shapes."""
    _check_layer_count(source)
    layout = hf_layout(source.config)
    _check_names_and_shapes(layout, source)
    return layout


def build_decoder(
    source: TensorSource,
    layout: list[Piece],
    dtype: torch.dtype,
    quantization: Quantization | None = None,
    *,
    device: torch.device | str = "cpu",
) -> Decoder:
    """A Decoder in eval mode on ``device`` holding the source's weights in ``dtype``, its
    projections quantised as ``quantization`` says (``dtype`` is then the activations'
    precision; quantised layers compute on the CPU). The weights are laid out for decoding
    on that device (:meth:`Decoder.use_fast_layout`) as they are allocated, once."""
    config = source.config
    try:
        with torch.device("meta"):
            model = Decoder(config).to(dtype)
    except RuntimeError as exc:  # sizes are checked; only the RoPE tables' can overflow
        raise _context_too_long(source, exc) from None
    model.rope_cos = model.rope_sin = None  # computed once the weights are in
    pending = {} if quantization is None else _take_quantized(model)
    model.to_empty(device=device)
    model.tie_weights()
    model.use_fast_layout(keep_values=False)
    pieces = {piece.name: piece for piece in layout}
    quantized = {f"{name}.{kind}" for name in pending for kind in ("weight", "bias")}
    _fill(model, [piece for piece in layout if piece.name not in quantized], source)
    for name, shape in pending.items():
        assert quantization is not None
        parent, _, attr = name.rpartition(".")
        chosen = quantization.for_layer(name, *shape)
        module = _quantized_module(name, shape, chosen, source, pieces, model.lm_head)
        setattr(model.get_submodule(parent), attr, module)
    try:
        model.reset_rope()
    except (RuntimeError, MemoryError) as exc:
        raise _context_too_long(source, exc) from None
    return_freed_memory()
    return model.eval()


def check_finite(tensor: torch.Tensor, stored: SourceTensor) -> None:
    """A NaN or infinite weight makes every output garbage: refuse it at load time. (A sum
    in float64 is finite exactly when every float32 or narrower value is, and needs no
    tensor-sized temporary.)"""
    if math.isfinite(tensor.sum(dtype=torch.float64).item()):
        return
    bad = int((~torch.isfinite(tensor)).sum())
    raise stored.error(f"holds {bad} NaN or infinite values (a corrupt or diverged checkpoint)")


def _fill(model: Decoder, layout: list[Piece], source: TensorSource) -> None:
    """Copy every piece's source tensors into the model's parameters, one at a time."""
    params = dict(model.named_parameters())  # a tied lm_head appears once, as tok_emb
    unfilled = set(params) - {piece.name for piece in layout}
    assert not unfilled, f"no checkpoint tensors for {sorted(unfilled)}"
    with torch.no_grad():
        for piece in layout:
            target = params[piece.name]
            for start, values in _piece_rows(source, piece):
                target[start : start + len(values)].copy_(values)


def _piece_rows(source: TensorSource, piece: Piece) -> Iterator[tuple[int, torch.Tensor]]:
    """A piece's float values as ``(first row, rows)``, a few thousand rows at a time where
    the format can (the peak stays small), each source tensor checked and let go of once
    read."""
    offset = 0
    for name, shape in piece.sources:
        if piece.transposed:
            yield offset, _read(source, name, piece)
            offset += shape[-1]
            continue
        stored = source.tensors[name]
        for start, values in stored.read_rows():
            check_finite(values, stored)
            yield offset + start, values
        stored.release()
        offset += shape[0]


def _read(source: TensorSource, name: str, piece: Piece) -> torch.Tensor:
    """Source tensor ``name`` as float values, oriented as ``piece``'s parameter."""
    stored = source.tensors[name]
    values = stored.read()
    check_finite(values, stored)
    stored.release()
    return values.t() if piece.transposed else values


def _take_quantized(model: Decoder) -> dict[str, tuple[int, int]]:
    """Detach the (meta) projections and the token embedding, leaving placeholders: their
    float weights are never allocated. Returns their names and weight shapes, the output
    layer before the embedding (which may share its rows)."""
    taken = {}
    for name, module in list(model.named_modules()):
        if isinstance(module, torch.nn.Linear):
            parent, _, attr = name.rpartition(".")
            setattr(model.get_submodule(parent), attr, torch.nn.Identity())
            taken[name] = (module.out_features, module.in_features)
    taken[_EMBEDDING] = (model.config.vocab_size, model.config.dim)
    model.tok_emb = torch.nn.Identity()  # type: ignore[assignment]
    return taken


def _quantized_module(
    name: str,
    shape: tuple[int, int],
    quantization: Quantization,
    source: TensorSource,
    pieces: dict[str, Piece],
    output_layer: torch.nn.Module,
) -> torch.nn.Module:
    """The quantised module ``name`` (a projection, or the token embedding; its weight
    ``shape``) built from its pieces. A tied output layer has no piece of its own: it is
    quantised from the embedding's. The embedding is int8 rows (:class:`Int8Embedding`),
    the output layer's own where they are the same matrix."""
    weight, bias = pieces.get(f"{name}.weight"), pieces.get(f"{name}.bias")
    if name == _EMBEDDING:
        tied = f"{OUTPUT_LAYER}.weight" not in pieces  # quantised from the embedding's piece
        if tied and isinstance(output_layer, Int8Linear):
            return Int8Embedding.of(output_layer)
        assert weight is not None
        return Int8Embedding.of(Int8Linear.from_rows(_piece_rows(source, weight), shape, None))
    weight = weight or pieces[f"{_EMBEDDING}.weight"]
    with torch.no_grad():
        bias_values = None if bias is None else _read_piece(source, bias)
        if quantization.bits == 4:
            parts = [_int4_part(source, part, weight, quantization) for part, _ in weight.sources]
            return Int4Linear(Int4Weight.cat(parts), bias_values)
        layer = Int8Linear.from_rows(_piece_rows(source, weight), shape, bias_values)
        if name == OUTPUT_LAYER:
            layer.use_dynamic_kernel()
        return layer


def _read_piece(source: TensorSource, piece: Piece) -> torch.Tensor:
    return torch.cat([_read(source, name, piece) for name, _ in piece.sources])


def _int4_part(
    source: TensorSource, name: str, piece: Piece, quantization: Quantization
) -> Int4Weight:
    """One source tensor as 4-bit groups: its own blocks where they map exactly."""
    stored = source.tensors[name]
    if not piece.transposed:
        direct = stored.int4_weight(quantization.group_size)
        if direct is not None:
            stored.release()
            return direct
    return Int4Weight.from_weight(_read(source, name, piece), quantization.group_size)


def _check_layer_count(source: TensorSource) -> None:
    """The config must not state more blocks than the weights hold (checked first: a
    mistyped layer count must not build the layout of a million layers). Fewer is caught
    by the names check, which names the first tensor no block takes."""
    config = source.config
    stored = {int(m[1]) for name in source.tensors if (m := _LAYER_NAME.match(name))}
    count = max(stored) + 1 if stored else 0
    if count < config.n_layers:
        files = sorted({t.file.name for t in source.tensors.values()})
        raise ModelLoadError(
            f"{source.config_file}: {source.key('n_layers')} is {config.n_layers}, but the "
            f"weights ({', '.join(files) or 'none'}) hold {count} layers; does "
            f"{source.config_name} belong to these weights?",
            path=str(source.config_file),
        )


def _check_names_and_shapes(layout: list[Piece], source: TensorSource) -> None:
    config = source.config
    expected = {name: shape for piece in layout for name, shape in piece.sources}
    for name, stored in source.tensors.items():
        if name in expected:
            stored.check_kind()
            if stored.shape != expected[name]:
                raise stored.error(
                    f"has shape {list(stored.shape)}, but {source.config_name} implies "
                    f"{list(expected[name])}" + _shape_keys(source, stored.shape, expected[name])
                )
        elif name.endswith(IGNORED_SUFFIXES):
            continue
        elif name == "lm_head.weight" and config.tie_word_embeddings:
            continue  # some checkpoints store the tied head anyway; it equals the embedding
        else:
            raise ModelLoadError(
                f"{stored.file}: unexpected tensor {stored.name!r} for a {config.family} "
                f"model with {source.key('n_layers')}={config.n_layers}"
                + source.tensor_hint(name, present=True),
                path=str(stored.file),
                tensor=stored.name,
            )
    for name in expected:
        if name not in source.tensors:
            stored_name = source.stored_name(name)
            raise ModelLoadError(
                f"tensor {stored_name!r} is missing from the weights in {source.path}"
                + source.tensor_hint(name, present=False),
                path=str(source.path),
                tensor=stored_name,
            )


def _shape_keys(source: TensorSource, stored: tuple[int, ...], expected: tuple[int, ...]) -> str:
    """Which settings set the dimensions that differ: ``" (96 = intermediate_size)"``."""
    config, key = source.config, source.key
    sizes = [
        (config.vocab_size, key("vocab_size")),
        (config.dim, key("dim")),
        (config.hidden_dim, key("hidden_dim")),
        (config.n_heads * config.head_dim, f"{key('n_heads')} * head_dim"),
        (config.n_kv_heads * config.head_dim, f"{key('n_kv_heads')} * head_dim"),
        (3 * config.dim, f"3 * {key('dim')}"),
    ]
    if config.architecture.learned_positions:  # only they make a tensor context-sized
        sizes.append((config.max_seq_len, key("max_seq_len")))
    notes = []
    for size in dict.fromkeys(e for s, e in zip(stored, expected, strict=False) if s != e):
        names = list(dict.fromkeys(name for value, name in sizes if value == size))
        if names:
            notes.append(f"{size} = {' or '.join(names)}")
    return f" ({'; '.join(notes)})" if notes else ""


def _context_too_long(source: TensorSource, exc: Exception) -> ModelLoadError:
    config: ModelConfig = source.config
    size = 2 * config.max_seq_len * config.head_dim * 4
    return ModelLoadError(
        f"{source.config_file}: {source.key('max_seq_len')} is {config.max_seq_len}; the "
        f"rotary position tables for that many positions need {size / 2**30:.1f} GiB, which "
        f"could not be allocated ({type(exc).__name__}). Is the value a typo?",
        path=str(source.config_file),
    )
