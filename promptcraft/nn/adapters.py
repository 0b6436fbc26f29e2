"""Adapters: a tuned method's tensors in one small safetensors file, and how they attach to
a decoder. The engine's side of tuning: :mod:`promptcraft.tuning` trains and writes them
(with :func:`save_adapter`), :meth:`LocalBackend.load(adapter=...)
<promptcraft.backends.local.LocalBackend.load>` reads and applies them (with
:func:`load_adapter` and :func:`apply_adapter`).

The file's metadata (``AdapterInfo``, as JSON under the ``promptcraft`` key) names the
method, the base model's fingerprint and architecture, the template it was trained with, and
a checksum of the tensors. Loading refuses an adapter whose base model is not the one at hand
(its tensors would be meaningless there), a file whose tensors do not match their checksum
(corrupted on disk or in transfer), and tensors that are not the ones its method saves.

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
from typing import Any, Literal

import torch
from pydantic import BaseModel, ConfigDict, ValidationError
from safetensors import SafetensorError, safe_open
from safetensors.torch import save_file

from ..errors import AdapterError
from ..utils.paths import with_umask_mode
from .fingerprint import tensors_checksum
from .generate import Generator
from .kv_cache import KVCache, KVPrefix
from .model import Decoder
from .quantized import is_quantized

__all__ = [
    "ADAPTER_SUFFIX",
    "Adapter",
    "AdapterInfo",
    "AdapterMethod",
    "adapter_path",
    "apply_adapter",
    "base_model_config",
    "kv_prefix_of_embeddings",
    "load_adapter",
    "model_fingerprint",
    "save_adapter",
    "weight_names",
]

#: What an adapter holds: the prefix of prompt or prefix tuning, or the weights of a partial
#: (``ffn``, ``top_layers``) or full fine-tune (:mod:`promptcraft.tuning.methods` trains them).
AdapterMethod = Literal["prompt", "prefix", "ffn", "top_layers", "full"]

ADAPTER_SUFFIX = ".safetensors"
_METADATA_KEY = "promptcraft"
_FORMAT = "promptcraft-adapter/1"


class AdapterInfo(BaseModel):
    """What an adapter is, and what it measured when it was trained."""

    model_config = ConfigDict(extra="forbid")

    format: str = _FORMAT
    method: AdapterMethod
    base_model: str
    base_model_hash: str
    # What the base model computes with besides its weights (see ``architecture``); None in
    # adapters written before it was recorded.
    base_model_config: dict[str, Any] | None = None
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
    interrupted: bool = False  # training was stopped (Ctrl-C); these are its best tensors
    # sha256 of the tensors (see ``tensors_checksum``); None in adapters written before it was
    tensors_sha256: str | None = None


@dataclass(frozen=True)
class Adapter:
    """A loaded adapter file."""

    path: Path
    info: AdapterInfo
    tensors: dict[str, torch.Tensor]

    @property
    def name(self) -> str:
        """The file's name without ``.safetensors``: a served model is ``<base>+<name>``."""
        return self.path.name.removesuffix(ADAPTER_SUFFIX)


def adapter_path(path: str | os.PathLike[str]) -> Path:
    """The file :func:`save_adapter` writes for ``path``: ``.safetensors`` appended when
    missing."""
    target = Path(path)
    if target.suffix != ADAPTER_SUFFIX:
        target = target.with_name(target.name + ADAPTER_SUFFIX)
    return target


def save_adapter(
    path: str | os.PathLike[str], tensors: dict[str, torch.Tensor], info: AdapterInfo
) -> Path:
    """Write ``tensors`` (float32, contiguous) and ``info`` to ``path`` (``.safetensors`` is
    appended when missing), with the tensors' checksum; return the path written."""
    target = adapter_path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    stored = {name: t.detach().to("cpu", torch.float32).contiguous() for name, t in tensors.items()}
    info = info.model_copy(update={"tensors_sha256": tensors_checksum(stored)})
    save_file(stored, str(target), metadata={_METADATA_KEY: info.model_dump_json()})
    with_umask_mode(target)
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
        fields = json.loads(raw)
    except ValueError as exc:
        raise AdapterError(
            f"adapter {shown} has malformed metadata (not JSON: {exc})", path=shown
        ) from None
    if isinstance(fields, dict) and fields.get("format", _FORMAT) != _FORMAT:
        raise AdapterError(
            f"adapter {shown} has format {fields['format']!r}; this promptcraft reads {_FORMAT!r}",
            path=shown,
        )
    try:
        info = AdapterInfo.model_validate(fields)
    except ValidationError as exc:
        problem = exc.errors()[0]
        field = ".".join(str(part) for part in problem["loc"]) or "metadata"
        raise AdapterError(
            f"adapter {shown} has malformed metadata: {field}: {problem['msg']}", path=shown
        ) from None
    if info.tensors_sha256 is not None and tensors_checksum(tensors) != info.tensors_sha256:
        raise AdapterError(
            f"adapter {shown} is corrupt: its tensors do not match the checksum written with "
            "them (the file changed after promptcraft tune saved it); copy it again or tune a "
            "new one",
            path=shown,
        )
    for name, tensor in tensors.items():
        if tensor.is_floating_point() and not bool(torch.isfinite(tensor).all()):
            raise AdapterError(
                f"adapter {shown}: tensor {name!r} holds NaN or infinite values; tune it again "
                "(with a lower learning rate)",
                path=shown,
                tensor=name,
            )
    return Adapter(path=source, info=info, tensors=tensors)


def apply_adapter(adapter: Adapter, model: Decoder, generator: Generator) -> None:
    """Make ``generator`` (over ``model``) generate with ``adapter``: a prefix goes into the
    KV cache of every sequence (and takes that much of the context: the generator's
    :attr:`~promptcraft.nn.Generator.context_length` says what is left); weights replace the
    model's own (in place). Raises :class:`AdapterError` if the adapter was trained on
    another base model or is not what its method saves."""
    info, shown = adapter.info, str(adapter.path)
    _check_architecture(adapter, model)
    if is_quantized(model):
        raise AdapterError(
            f"adapter {shown} needs the float model it was tuned on, but this one has "
            "quantised weights (dtype int8 or int4): load it in float32 or bfloat16",
            path=shown,
        )
    found = model_fingerprint(model)
    if found != info.base_model_hash:
        raise AdapterError(
            f"adapter {shown} was trained on base model {info.base_model!r} (fingerprint "
            f"{info.base_model_hash}), but this model's fingerprint is {found}: load the "
            "base model it was trained on, or tune a new adapter for this one",
            path=shown,
        )
    _check_tensor_names(adapter, model)
    if info.method == "prompt":
        embeddings = _tensor(adapter, "prompt.embeddings", (-1, model.config.dim))
        _check_prefix_fits(adapter, model, embeddings.shape[0])
        generator.set_kv_prefix(kv_prefix_of_embeddings(model, embeddings))
    elif info.method == "prefix":
        generator.set_kv_prefix(_stored_prefix(adapter, model))
    else:
        _replace_weights(adapter, model)
        generator.set_kv_prefix(None)  # also drops keys/values cached with the old weights


# The configuration fields that change what a model computes from its weights. The context
# length is not among them: a prefix that fits is checked on its own.
_ARCHITECTURE_FIELDS = (
    "family",
    "vocab_size",
    "dim",
    "n_layers",
    "n_heads",
    "n_kv_heads",
    "head_dim",
    "hidden_dim",
    "norm_eps",
    "activation",
    "rope_theta",
    "rope_scaling",
    "qkv_bias",
    "out_bias",
    "mlp_bias",
    "tie_word_embeddings",
)


def base_model_config(model: Decoder) -> dict[str, Any]:
    """The configuration an adapter depends on besides the weights (normalisation epsilon,
    RoPE base, activation, ...): two checkpoints with equal weights but a different one of
    these compute different things. ``AdapterInfo.base_model_config`` records it."""
    config = model.config.model_dump(mode="json")
    return {name: config.get(name) for name in _ARCHITECTURE_FIELDS}


def _check_architecture(adapter: Adapter, model: Decoder) -> None:
    trained = adapter.info.base_model_config
    if trained is None:  # an adapter from before the configuration was recorded
        return
    here = base_model_config(model)
    differ = [name for name in _ARCHITECTURE_FIELDS if trained.get(name) != here[name]]
    if differ:
        changes = ", ".join(f"{n} {trained.get(n)!r} (here {here[n]!r})" for n in differ)
        raise AdapterError(
            f"adapter {adapter.path} was trained on base model {adapter.info.base_model!r} "
            f"with another configuration: {changes}; load the base model it was trained on, "
            "or tune a new adapter for this one",
            path=str(adapter.path),
        )


def _expected_tensor_names(adapter: Adapter, model: Decoder) -> set[str]:
    method, n_layers = adapter.info.method, model.config.n_layers
    if method == "prompt":
        return {"prompt.embeddings"}
    if method == "prefix":
        return {f"prefix.{i}.{part}" for i in range(n_layers) for part in ("keys", "values")}
    if method == "top_layers":
        layers = {n.split(".")[1] for n in adapter.tensors if n.startswith("layers.")}
        top = len(layers) if 1 <= len(layers) <= n_layers else n_layers
        return set(weight_names(model, "top_layers", top_layers=top))
    return set(weight_names(model, method))


def _check_tensor_names(adapter: Adapter, model: Decoder) -> None:
    """The adapter holds exactly the tensors its method saves for this model."""
    expected = _expected_tensor_names(adapter, model)
    found = set(adapter.tensors)
    if found == expected:
        return
    problems = []
    missing, extra = sorted(expected - found), sorted(found - expected)
    if missing:
        problems.append(f"lacks {_names(missing)}")
    if extra:
        problems.append(
            f"holds {_names(extra)}, which method {adapter.info.method!r} does not save"
        )
    raise AdapterError(
        f"adapter {adapter.path} says its method is {adapter.info.method!r} but "
        f"{' and '.join(problems)}: the file was not written for this method and model; tune "
        "it again",
        path=str(adapter.path),
        tensor=(missing or extra)[0],
    )


def _names(names: list[str]) -> str:
    shown = ", ".join(repr(n) for n in names[:3])
    return shown + (f" and {len(names) - 3} more" if len(names) > 3 else "")


def _check_prefix_fits(adapter: Adapter, model: Decoder, length: int) -> None:
    if length >= model.config.max_seq_len:
        raise AdapterError(
            f"adapter {adapter.path} puts {length} positions before every prompt, but the "
            f"model's context is {model.config.max_seq_len}: nothing would be left for the "
            "prompt",
            path=str(adapter.path),
        )


def _stored_prefix(adapter: Adapter, model: Decoder) -> KVPrefix:
    config = model.config
    shape = (config.n_kv_heads, -1, config.head_dim)
    keys, values = [], []
    for layer in range(config.n_layers):
        keys.append(_tensor(adapter, f"prefix.{layer}.keys", shape).to(model.device, model.dtype))
        values.append(
            _tensor(adapter, f"prefix.{layer}.values", shape).to(model.device, model.dtype)
        )
    lengths = {k.shape[1] for k in (*keys, *values)}
    if len(lengths) != 1:
        raise AdapterError(
            f"adapter {adapter.path} has prefixes of different lengths {sorted(lengths)}",
            path=str(adapter.path),
        )
    _check_prefix_fits(adapter, model, lengths.pop())
    return KVPrefix(keys=tuple(keys), values=tuple(values))


def _replace_weights(adapter: Adapter, model: Decoder) -> None:
    """Copy the adapter's weights over the model's, once every one of them is known to fit
    (a bad tensor must not leave the model half replaced)."""
    params = dict(model.named_parameters())
    for name in adapter.tensors:
        param = params.get(name)
        if param is None:
            raise AdapterError(
                f"adapter {adapter.path} holds tensor {name!r}, which the model lacks",
                path=str(adapter.path),
                tensor=name,
            )
        _tensor(adapter, name, tuple(param.shape))
    with torch.no_grad():
        for name, tensor in adapter.tensors.items():
            params[name].copy_(tensor)


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
            digest.update(rounded.cpu().numpy().tobytes())
    return "sha256:" + digest.hexdigest()[:32]


def weight_names(model: Decoder, method: AdapterMethod, *, top_layers: int = 2) -> list[str]:
    """The parameter names (tied weights once, in model order) a weight method's adapter
    holds: every one (``full``), the MLPs' (``ffn``) or the top ``top_layers`` blocks'."""
    names = [name for name, _ in model.named_parameters()]
    if method == "full":
        return names
    if method == "ffn":
        return [n for n in names if ".mlp." in n]
    if method == "top_layers":
        first = model.config.n_layers - top_layers
        return [n for n in names if n.startswith("layers.") and int(n.split(".")[1]) >= first]
    raise ValueError(f"{method!r} is not a weight method (ffn, top_layers, full)")


def kv_prefix_of_embeddings(model: Decoder, embeddings: torch.Tensor) -> KVPrefix:
    """The keys and values ``model`` computes for input vectors ``embeddings`` [p, dim] at
    positions ``0 .. p``: what prompt tuning's virtual tokens leave in the KV cache."""
    config, p = model.config, embeddings.shape[0]
    cache = KVCache(
        n_layers=config.n_layers,
        batch_size=1,
        n_kv_heads=config.n_kv_heads,
        max_len=p,
        head_dim=config.head_dim,
        dtype=model.dtype,
        device=model.device,
    )
    empty = torch.empty(1, 0, dtype=torch.long, device=model.device)
    with torch.no_grad():
        embeds = embeddings.unsqueeze(0).to(model.device, model.dtype)
        model(empty, embeds=embeds, cache=cache, last_only=True)
    return KVPrefix(
        keys=tuple(k[0].clone() for k in cache.keys),
        values=tuple(v[0].clone() for v in cache.values),
    )
