"""The five tuning methods: what each trains, how it joins the forward pass, what it saves.

==============  ======================================================  =====================
method          trains                                                  the adapter keeps
==============  ======================================================  =====================
``prompt``      ``virtual_tokens`` input vectors before every prompt     those vectors
``prefix``      per-layer keys/values, through a reparameterising MLP   the keys/values only
``ffn``         every block's MLP (feed-forward) weights                 those weights
``top_layers``  every weight of the top ``top_layers`` blocks            those weights
``full``        every weight                                             every weight
==============  ======================================================  =====================

Everything a method does not train is frozen (``requires_grad=False``) and never changes.
Prompt and prefix tuning serve as a :class:`~promptcraft.nn.kv_cache.KVPrefix`: virtual
tokens see only each other, so their keys and values are fixed and are computed once when the
adapter loads; each sequence then starts from them in the KV cache.

Like Hugging Face PEFT, prefix tuning trains a small MLP over a prefix embedding rather than
the keys and values directly (direct training is unstable), and prompt tuning initialises its
vectors from real token embeddings. Unlike PEFT, both start from the keys and values of real
tokens, so before the first step the model sees an ordinary (if arbitrary) text prefix.
"""

from __future__ import annotations

from typing import TypeAlias, get_args

import torch
from torch import nn

from ..errors import TuningConfigError
from ..nn.adapters import AdapterMethod, kv_prefix_of_embeddings, weight_names
from ..nn.kv_cache import KVPrefix
from ..nn.model import Decoder

__all__ = [
    "METHODS",
    "PrefixTuning",
    "PromptTuning",
    "TunedPart",
    "TuningMethod",
    "WeightTuning",
    "kv_prefix_of_embeddings",
    "make_tuned_part",
]

#: The methods are the kinds of adapter the engine serves (:mod:`promptcraft.nn.adapters`).
TuningMethod: TypeAlias = AdapterMethod
METHODS: tuple[TuningMethod, ...] = get_args(TuningMethod)


class TunedPart:
    """What one method trains, and how it enters the model's forward pass."""

    method: TuningMethod

    def parameters(self) -> list[nn.Parameter]:
        raise NotImplementedError

    @property
    def prefix_len(self) -> int:
        """Context positions the method's prefix takes (0 for the weight methods)."""
        return 0

    def logits(self, model: Decoder, tokens: torch.Tensor) -> torch.Tensor:
        """Logits [batch, n, vocab] for ``tokens`` [batch, n] with the method applied."""
        return model(tokens)

    def kv_prefix(self, model: Decoder) -> KVPrefix | None:
        """The keys and values to serve with (prompt and prefix tuning), else None."""
        return None

    def adapter_tensors(self) -> dict[str, torch.Tensor]:
        """What the adapter file stores."""
        raise NotImplementedError

    def state(self) -> list[torch.Tensor]:
        """A copy of the trained tensors (to restore the best ones after early stopping)."""
        return [p.detach().clone() for p in self.parameters()]

    def restore(self, state: list[torch.Tensor]) -> None:
        with torch.no_grad():
            for param, saved in zip(self.parameters(), state, strict=True):
                param.copy_(saved)

    @property
    def trained_params(self) -> int:
        return sum(p.numel() for p in self.parameters())


class PromptTuning(TunedPart):
    """Trainable virtual-token embeddings ``[virtual_tokens, dim]`` before every input."""

    method: TuningMethod = "prompt"

    def __init__(self, model: Decoder, init_ids: list[int]):
        _freeze(model)
        with torch.no_grad():
            init = model.tok_emb.weight[init_ids].detach().clone().float()
        self.embeddings = nn.Parameter(init)

    def parameters(self) -> list[nn.Parameter]:
        return [self.embeddings]

    @property
    def prefix_len(self) -> int:
        return self.embeddings.shape[0]

    def logits(self, model: Decoder, tokens: torch.Tensor) -> torch.Tensor:
        out = model(tokens, embeds=self.embeddings.unsqueeze(0))
        return out[:, self.prefix_len :]

    def kv_prefix(self, model: Decoder) -> KVPrefix:
        return kv_prefix_of_embeddings(model, self.embeddings.detach())

    def adapter_tensors(self) -> dict[str, torch.Tensor]:
        return {"prompt.embeddings": self.embeddings.detach().contiguous()}


class PrefixTuning(TunedPart):
    """Per-layer key/value prefixes, produced during training by ``MLP(embedding)``.

    The MLP's output bias starts at the keys and values of real tokens and its output
    weight at zero, so training starts from a real text prefix; only the resulting keys and
    values are saved.
    """

    method: TuningMethod = "prefix"

    def __init__(self, model: Decoder, init_ids: list[int], *, hidden: int = 256):
        _freeze(model)
        config = model.config
        self.n_layers, self.kv_heads, self.head_dim = (
            config.n_layers,
            config.n_kv_heads,
            config.head_dim,
        )
        with torch.no_grad():
            start = kv_prefix_of_embeddings(model, model.tok_emb.weight[init_ids].detach())
            # [n_layers, 2, kv_heads, p, head_dim] -> [p, n_layers * 2 * kv_heads * head_dim]
            stacked = torch.stack(
                [torch.stack(kv) for kv in zip(start.keys, start.values, strict=True)]
            )
            flat = stacked.permute(3, 0, 1, 2, 4).reshape(len(init_ids), -1).float()
            self.embedding = nn.Parameter(model.tok_emb.weight[init_ids].detach().clone().float())
        out = nn.Linear(hidden, flat.shape[1])
        with torch.no_grad():
            out.weight.zero_()
            out.bias.copy_(flat.mean(0))
        self.mlp = nn.Sequential(nn.Linear(config.dim, hidden), nn.Tanh(), out)
        # Per-position offsets from the mean keep each position's own starting keys/values.
        self.offset = flat - flat.mean(0)

    def parameters(self) -> list[nn.Parameter]:
        return [self.embedding, *self.mlp.parameters()]

    @property
    def prefix_len(self) -> int:
        return self.embedding.shape[0]

    def _layers(self) -> torch.Tensor:
        """[n_layers, 2, kv_heads, p, head_dim]"""
        flat = self.mlp(self.embedding) + self.offset
        shape = (self.prefix_len, self.n_layers, 2, self.kv_heads, self.head_dim)
        return flat.view(shape).permute(1, 2, 3, 0, 4)

    def logits(self, model: Decoder, tokens: torch.Tensor) -> torch.Tensor:
        layers = self._layers().to(model.dtype)
        prefix = [(kv[0].unsqueeze(0), kv[1].unsqueeze(0)) for kv in layers]
        return model(tokens, kv_prefix=prefix, start=self.prefix_len)

    def kv_prefix(self, model: Decoder) -> KVPrefix:
        return self._prefix(model.dtype)

    def adapter_tensors(self) -> dict[str, torch.Tensor]:
        prefix = self._prefix(torch.float32)
        tensors = {f"prefix.{i}.keys": k for i, k in enumerate(prefix.keys)}
        tensors.update({f"prefix.{i}.values": v for i, v in enumerate(prefix.values)})
        return tensors

    def _prefix(self, dtype: torch.dtype) -> KVPrefix:
        with torch.no_grad():
            layers = self._layers().to(dtype)
        return KVPrefix(
            keys=tuple(kv[0].contiguous() for kv in layers),
            values=tuple(kv[1].contiguous() for kv in layers),
        )


class WeightTuning(TunedPart):
    """Some of the model's own weights: the MLPs (``ffn``), the top blocks (``top_layers``)
    or all of them (``full``). Trains the model in place."""

    def __init__(self, model: Decoder, method: TuningMethod, *, top_layers: int = 2):
        self.method = method
        self.names = trained_weight_names(model, method, top_layers=top_layers)
        self._params = []
        for name, param in model.named_parameters():
            trained = name in self.names
            param.requires_grad_(trained)
            if trained:
                self._params.append(param)

    def parameters(self) -> list[nn.Parameter]:
        return list(self._params)

    def adapter_tensors(self) -> dict[str, torch.Tensor]:
        return {
            name: param.detach().contiguous()
            for name, param in zip(self.names, self._params, strict=True)
        }


def trained_weight_names(model: Decoder, method: TuningMethod, *, top_layers: int = 2) -> list[str]:
    """The parameter names (tied weights once, in model order) a weight method trains: those
    its adapter holds (:func:`promptcraft.nn.adapters.weight_names`)."""
    if method == "top_layers":
        n_layers = model.config.n_layers
        if not 1 <= top_layers <= n_layers:
            raise TuningConfigError(
                f"must be between 1 and {n_layers} (the model's layers), not {top_layers}",
                field="top_layers",
            )
    return weight_names(model, method, top_layers=top_layers)


def make_tuned_part(
    model: Decoder,
    method: TuningMethod,
    *,
    init_ids: list[int],
    top_layers: int = 2,
    prefix_hidden: int = 256,
) -> TunedPart:
    """The :class:`TunedPart` of ``method``; freezes the rest of ``model``. ``init_ids``
    (prompt, prefix): the tokens whose embeddings (or keys/values) the prefix starts from;
    their count is the number of virtual tokens."""
    if method == "prompt":
        return PromptTuning(model, init_ids)
    if method == "prefix":
        return PrefixTuning(model, init_ids, hidden=prefix_hidden)
    if method in ("ffn", "top_layers", "full"):
        return WeightTuning(model, method, top_layers=top_layers)
    raise ValueError(f"unknown tuning method {method!r}; use one of {', '.join(METHODS)}")


def _freeze(model: Decoder) -> None:
    for param in model.parameters():
        param.requires_grad_(False)
