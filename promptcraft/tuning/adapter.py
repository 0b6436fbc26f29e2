"""Adapters: a tuned method's tensors in one small safetensors file, and how they load.

The file's metadata (``AdapterInfo``, as JSON under the ``promptcraft`` key) names the
method, the base model's fingerprint and the template it was trained with. Loading refuses an
adapter whose base model is not the one at hand: its tensors would be meaningless there.

- ``prompt``: the virtual-token embeddings; their keys and values are computed once at load.
- ``prefix``: the per-layer keys and values themselves.
- ``ffn``, ``top_layers``, ``full``: the trained weights, copied over the model's own.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..errors import AdapterError
from ..nn.generate import Generator
from ..nn.kv_cache import KVPrefix
from ..nn.model import Decoder
from .methods import TuningMethod, kv_prefix_of_embeddings

if TYPE_CHECKING:
    from ..backends.local import LocalBackend

__all__ = [
    "ADAPTER_SUFFIX",
    "Adapter",
    "AdapterInfo",
    "apply_adapter",
    "attach_adapter",
    "load_adapter",
    "model_fingerprint",
    "save_adapter",
]

ADAPTER_SUFFIX = ".safetensors"
_METADATA_KEY = "promptcraft"
_FORMAT = "promptcraft-adapter/1"


class AdapterInfo(BaseModel):
    """What an adapter is, and what it measured when it was trained."""

    model_config = ConfigDict(extra="forbid")

    format: str = _FORMAT
    method: TuningMethod
    base_model: str
    base_model_hash: str
    template: str
    template_path: str | None = None
    template_hash: str
    virtual_tokens: int = 0
    trained_params: int
    total_params: int
    train_examples: int
    val_examples: int
    steps: int
    train_seconds: float
    best_val_loss: float
    val_exact_match_before: float | None = None
    val_exact_match: float | None = None
    seed: int


@dataclass(frozen=True)
class Adapter:
    """A loaded adapter file."""

    path: Path
    info: AdapterInfo
    tensors: dict[str, torch.Tensor]


def save_adapter(
    path: str | os.PathLike[str], tensors: dict[str, torch.Tensor], info: AdapterInfo
) -> Path:
    """Write ``tensors`` (float32, contiguous) and ``info`` to ``path`` (``.safetensors`` is
    appended when missing); return the path written."""
    target = Path(path)
    if target.suffix != ADAPTER_SUFFIX:
        target = target.with_name(target.name + ADAPTER_SUFFIX)
    target.parent.mkdir(parents=True, exist_ok=True)
    stored = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in tensors.items()}
    save_file(stored, str(target), metadata={_METADATA_KEY: info.model_dump_json()})
    return target


def load_adapter(path: str | os.PathLike[str]) -> Adapter:
    """Read an adapter file; :class:`AdapterError` if it is missing or not an adapter."""
    source = Path(path)
    shown = str(source)
    if not source.is_file():
        what = "is not a file" if source.exists() else "does not exist"
        raise AdapterError(f"adapter {shown} {what}", path=shown)
    try:
        with safe_open(shown, framework="pt") as handle:
            metadata = handle.metadata() or {}
            tensors = {name: handle.get_tensor(name) for name in handle.keys()}  # noqa: SIM118
    except (SafetensorError, OSError) as exc:
        raise AdapterError(
            f"adapter {shown} is not a safetensors file: {exc}", path=shown
        ) from None
    raw = metadata.get(_METADATA_KEY)
    if raw is None:
        raise AdapterError(
            f"{shown} has no promptcraft adapter metadata: it is not an adapter written by "
            "promptcraft tune",
            path=shown,
        )
    try:
        info = AdapterInfo.model_validate(json.loads(raw))
    except (ValueError, ValidationError) as exc:
        raise AdapterError(f"adapter {shown} has malformed metadata: {exc}", path=shown) from None
    if info.format != _FORMAT:
        raise AdapterError(
            f"adapter {shown} has format {info.format!r}; this promptcraft reads {_FORMAT!r}",
            path=shown,
        )
    return Adapter(path=source, info=info, tensors=tensors)


def apply_adapter(adapter: Adapter, model: Decoder, generator: Generator) -> None:
    """Make ``generator`` (over ``model``) generate with ``adapter``: a prefix goes into the
    KV cache of every sequence; weights replace the model's own (in place). Raises
    :class:`AdapterError` if the adapter was trained on another base model."""
    info, shown = adapter.info, str(adapter.path)
    found = model_fingerprint(model)
    if found != info.base_model_hash:
        raise AdapterError(
            f"adapter {shown} was trained on base model {info.base_model!r} (fingerprint "
            f"{info.base_model_hash}), but this model's fingerprint is {found}: load the "
            "base model it was trained on, or tune a new adapter for this one",
            path=shown,
        )
    if info.method == "prompt":
        embeddings = _tensor(adapter, "prompt.embeddings", (-1, model.config.dim))
        generator.set_kv_prefix(kv_prefix_of_embeddings(model, embeddings))
    elif info.method == "prefix":
        generator.set_kv_prefix(_stored_prefix(adapter, model))
    else:
        _replace_weights(adapter, model)
        generator.set_kv_prefix(None)  # also drops keys/values cached with the old weights


def attach_adapter(backend: LocalBackend, path: str | os.PathLike[str]) -> Adapter:
    """Serve ``backend`` with the adapter at ``path`` (``LocalBackend.load(adapter=...)``):
    apply it, shrink the context by the prefix it takes, and name the model
    ``<base>+<adapter>``."""
    adapter = load_adapter(path)
    apply_adapter(adapter, backend.decoder, backend.generator)
    context = backend.decoder.config.max_seq_len - backend.generator.kv_prefix_len
    backend.max_context = min(backend.max_context, context)
    backend.capabilities = backend.capabilities.model_copy(
        update={"max_context": backend.max_context}
    )
    backend.model = f"{backend.model}+{adapter.path.name.removesuffix(ADAPTER_SUFFIX)}"
    return adapter


def _stored_prefix(adapter: Adapter, model: Decoder) -> KVPrefix:
    config = model.config
    shape = (config.n_kv_heads, -1, config.head_dim)
    keys, values = [], []
    for layer in range(config.n_layers):
        keys.append(_tensor(adapter, f"prefix.{layer}.keys", shape).to(model.dtype))
        values.append(_tensor(adapter, f"prefix.{layer}.values", shape).to(model.dtype))
    lengths = {k.shape[1] for k in (*keys, *values)}
    if len(lengths) != 1:
        raise AdapterError(
            f"adapter {adapter.path} has prefixes of different lengths {sorted(lengths)}",
            path=str(adapter.path),
        )
    return KVPrefix(keys=tuple(keys), values=tuple(values))


def _replace_weights(adapter: Adapter, model: Decoder) -> None:
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, tensor in adapter.tensors.items():
            param = params.get(name)
            if param is None:
                raise AdapterError(
                    f"adapter {adapter.path} holds tensor {name!r}, which the model lacks",
                    path=str(adapter.path),
                    tensor=name,
                )
            _tensor(adapter, name, tuple(param.shape))
            param.copy_(tensor)


def _tensor(adapter: Adapter, name: str, shape: tuple[int, ...]) -> torch.Tensor:
    tensor = adapter.tensors.get(name)
    shown = str(adapter.path)
    if tensor is None:
        raise AdapterError(
            f"adapter {shown} ({adapter.info.method}) lacks tensor {name!r}",
            path=shown,
            tensor=name,
        )
    fits = tensor.dim() == len(shape) and all(
        want in (-1, got) for want, got in zip(shape, tensor.shape, strict=True)
    )
    if not fits:
        raise AdapterError(
            f"adapter {shown}: tensor {name!r} has shape {tuple(tensor.shape)}, the model "
            f"needs {shape} (-1: any)",
            path=shown,
            tensor=name,
        )
    return tensor


def model_fingerprint(model: Decoder) -> str:
    """A hash of the model's shape and weights. Weights are hashed rounded to bfloat16, so
    the same checkpoint loaded in float32 or bfloat16 gets the same fingerprint."""
    digest = hashlib.sha256()
    config = model.config
    shape = (config.family, config.vocab_size, config.dim, config.n_layers, config.n_heads)
    digest.update(repr(shape).encode())
    with torch.no_grad():
        for name, param in model.named_parameters():
            digest.update(f"{name}{tuple(param.shape)}".encode())
            rounded = param.detach().to(torch.bfloat16).contiguous().view(torch.int16)
            digest.update(rounded.numpy().tobytes())
    return "sha256:" + digest.hexdigest()[:32]
