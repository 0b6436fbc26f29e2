"""One decoding step for a batch of sequences of different lengths, each row computed
exactly as it would be alone.

Continuous batching (:mod:`.continuous_batching`) puts sequences that started at different
times in one step: each has its own cache row and its own position. The projections run
once for the whole batch, which is where batching pays: a matrix is read once for every
row. Attention runs per row, over that row's own slots: it is the same call a batch of one
makes. One padded, masked call for all the rows was a little faster (0.47 against 0.51 ms
per layer for 16 rows; ``benchmarks/batch_step.py``), but its rows differed from the same
rows alone.

A greedy answer must not depend on who else was in the batch, so a row's numbers must not
either. Whether a product's row is the same in a batch of 1 and of 16 depends on the kernel,
and this module measures it instead of assuming:

- torch's int4 and int8 row kernels and bfloat16 products: the same for any batch (below 32
  rows, where the quantised layers switch kernels);
- float32 products (MKL): batches of 4 or more rows agree with each other, but not with 1
  to 3 rows, and with two threads a row in a partial group of 4 differs too;
- fbgemm's dynamic int8 product (the quantised models' output layer) quantises the whole
  batch with one scale, so a row depends on the others; the step runs that layer with a
  scale per row instead (:meth:`.quantized.Int8Linear.forward_rows_apart`), one call for
  the batch.

:func:`row_group` finds, per layer, the smallest row count that a batch padded to a
multiple of it keeps every row the same; a layer where no padding helps multiplies each
row on its own.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import nn

from .kv_cache import KVCache
from .model import MLP, Block, Decoder
from .quantized import Int8Linear
from .rope import apply_rope

__all__ = ["RaggedStep", "row_group"]

_GROUPS = (1, 2, 4, 8)
_PER_ROW = 0  # the group of a layer whose rows only stay the same one at a time


class RaggedStep:
    """``step(tokens, cache, rows, slots)``: logits [batch, vocab] for one new token per row.

    Row ``i`` of the batch reads and writes cache row ``rows[i]``; its token goes to slot
    (and position) ``slots[i]``, and it attends to that row's slots ``0 .. slots[i]``.
    Built once per model: it measures how each projection behaves in batches of up to
    ``max_rows`` rows (a few milliseconds; call it with the threads you serve with).
    """

    def __init__(self, model: Decoder, *, max_rows: int):
        self.model = model
        self.max_rows = max_rows
        first = cast(Block, model.layers[0])
        names = ("attn.qkv", "attn.out", "mlp.up", "mlp.down")
        modules = (first.attn.qkv, first.attn.out, first.mlp.up, first.mlp.down)
        #: The output layer as the step applies it.
        self.head: nn.Module = model.lm_head
        with torch.inference_mode():
            #: Per projection name, the row group measured on the first layer.
            self.groups = {
                name: row_group(module, max_rows, dtype=model.dtype, device=model.device)
                for name, module in zip((*names, "lm_head"), (*modules, model.lm_head), strict=True)
            }
            head: nn.Module = model.lm_head
            if (
                self.groups["lm_head"] == _PER_ROW
                and isinstance(head, Int8Linear)
                and head.dynamic is not None
            ):  # fbgemm with a scale per row: one call for the batch instead of one per row
                self.head = _RowsApart(head)
                self.groups["lm_head"] = row_group(
                    self.head, max_rows, dtype=model.dtype, device=model.device
                )
        #: Whether one row alone may run through the model's own forward: no layer pads it.
        self.alone_is_plain = all(group in (1, _PER_ROW) for group in self.groups.values())

    @torch.inference_mode()
    def __call__(
        self, tokens: torch.Tensor, cache: KVCache, rows: list[int], slots: list[int]
    ) -> torch.Tensor:
        model, batch = self.model, len(rows)
        if batch > self.max_rows:
            raise ValueError(f"{batch} rows, but this step was measured for {self.max_rows}")
        if batch == 1 and self.alone_is_plain:  # the same numbers, 2 ms sooner (SmolLM2 int4)
            row = cache.row(rows[0])
            hidden = model(tokens.view(1, 1), cache=row, start=slots[0], skip_head=True)
            return self._linear("lm_head", self.head, hidden)[:, 0]
        config = model.config
        heads, kv_heads, head_dim = config.n_heads, config.n_kv_heads, config.head_dim
        device = model.device
        positions = torch.tensor(slots, device=device)
        # Where each row's new key (per kv head) goes in a layer's cache seen as
        # [rows * kv_heads * slots, head_dim]: one index_copy_ per layer writes them all.
        flat = torch.tensor(rows, device=device)[:, None] * kv_heads + torch.arange(
            kv_heads, device=device
        )
        flat = (flat * cache.max_len + positions[:, None]).view(-1)
        x = model.tok_emb(tokens.view(batch, 1)).to(model.dtype)
        rope = None
        if model.pos_emb is not None:
            x = x + model.pos_emb(positions).unsqueeze(1)
        else:
            assert model.rope_cos is not None and model.rope_sin is not None
            cos, sin = model.rope_cos[positions], model.rope_sin[positions]
            rope = cos[:, None, None], sin[:, None, None]
        gqa = kv_heads != heads
        for block in cast(list[Block], list(model.layers)):
            attn = block.attn
            qkv = self._linear("attn.qkv", attn.qkv, block.attn_norm(x))
            qkv = qkv.view(batch, 1, -1, head_dim).transpose(1, 2)
            v = qkv[:, heads + kv_heads :]
            if rope is None:
                q, k = qkv[:, :heads], qkv[:, heads : heads + kv_heads]
            else:
                q, k = apply_rope(qkv[:, : heads + kv_heads], *rope).split([heads, kv_heads], 1)
            keys, values = cache.keys[attn.layer], cache.values[attn.layer]
            keys.view(-1, head_dim).index_copy_(0, flat, k.reshape(-1, head_dim))
            values.view(-1, head_dim).index_copy_(0, flat, v.reshape(-1, head_dim))
            y = torch.cat(
                [
                    F.scaled_dot_product_attention(
                        q[i : i + 1],
                        keys[row : row + 1, :, : slot + 1],
                        values[row : row + 1, :, : slot + 1],
                        enable_gqa=gqa,
                    )
                    for i, (row, slot) in enumerate(zip(rows, slots, strict=True))
                ]
            )
            x = x + self._linear("attn.out", attn.out, y.transpose(1, 2).reshape(batch, 1, -1))
            x = x + self._mlp(block.mlp, block.mlp_norm(x))
        return self._linear("lm_head", self.head, model.norm(x))[:, 0]

    def _mlp(self, mlp: MLP, x: torch.Tensor) -> torch.Tensor:
        h = self._linear("mlp.up", mlp.up, x)
        if mlp.gated:
            gate, up = h.chunk(2, dim=-1)
            return self._linear("mlp.down", mlp.down, F.silu(gate) * up)
        return self._linear("mlp.down", mlp.down, F.gelu(h, approximate=mlp.approximate))

    def _linear(self, name: str, module: nn.Module, x: torch.Tensor) -> torch.Tensor:
        return _grouped(module, x, self.groups[name])


class _RowsApart(nn.Module):
    """An int8 output layer through :meth:`Int8Linear.forward_rows_apart`."""

    def __init__(self, layer: Int8Linear):
        super().__init__()
        self.layer = layer
        self.in_features = layer.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layer.forward_rows_apart(x)


def row_group(
    module: nn.Module,
    max_rows: int,
    *,
    dtype: torch.dtype,
    device: torch.device | str = "cpu",
) -> int:
    """The smallest row count ``g`` such that ``module``'s result for a row is the same in
    every batch of up to ``max_rows`` rows (inputs in ``dtype``, on ``device``: the
    module's) padded to a multiple of ``g``, wherever the row sits and whatever the other
    rows hold; 0 when there is none (multiply rows one at a time)."""
    generator = torch.Generator().manual_seed(0)
    rows = -(-max_rows // _GROUPS[-1]) * _GROUPS[-1]
    features: int = getattr(module, "in_features")  # noqa: B009 (nn.Linear or a quantised one)
    # The row checked (row 0) is the smallest, so a kernel that scales a batch by its
    # largest value (fbgemm's dynamic product) changes it whatever the others hold.
    scales = torch.linspace(0.25, 4.0, rows).view(rows, 1, 1)
    probe = (torch.randn(rows, 1, features, generator=generator) * scales).to(device, dtype)
    for group in _GROUPS:
        alone = _grouped(module, probe[:1], group)[0]  # as a batch of one computes it
        sizes = range(group, -(-max_rows // group) * group + 1, group)
        if all(
            torch.equal(module(_moved(probe[:size], at))[at], alone)
            for size in sizes
            for at in {0, size // 2, size - 1}
        ):
            return group
    return _PER_ROW


def _moved(rows: torch.Tensor, at: int) -> torch.Tensor:
    """``rows`` with row 0 swapped to position ``at``."""
    order = list(range(rows.shape[0]))
    order[0], order[at] = order[at], order[0]
    return rows[order]


def _grouped(module: nn.Module, x: torch.Tensor, group: int) -> torch.Tensor:
    """``module(x)`` for ``x`` [batch, 1, features], computed in batches padded to a multiple
    of ``group`` rows (one row at a time for group 0)."""
    batch = x.shape[0]
    if group == _PER_ROW:
        if batch == 1:
            return module(x)
        return torch.cat([module(x[i : i + 1]) for i in range(batch)])
    padded = -(-batch // group) * group
    if padded == batch:
        return module(x)
    filler = x.new_zeros(padded - batch, *x.shape[1:])
    return module(torch.cat([x, filler]))[:batch]
