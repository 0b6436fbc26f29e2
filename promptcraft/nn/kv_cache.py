"""A static key/value cache: allocated once, written in place by position."""

from __future__ import annotations

from dataclasses import dataclass

import torch

__all__ = ["KVCache", "KVPrefix"]


@dataclass(frozen=True)
class KVPrefix:
    """Keys and values that sit in the first slots of every sequence, before its prompt: a
    prompt-tuning or prefix-tuning adapter. Per layer, each ``[kv_heads, length, head_dim]``.

    They are computed once (for prompt tuning, by running the model on the virtual tokens)
    and copied into the cache, so serving an adapter costs no extra model work per request.
    """

    keys: tuple[torch.Tensor, ...]
    values: tuple[torch.Tensor, ...]

    @property
    def length(self) -> int:
        return self.keys[0].shape[1]

    def fingerprint(self) -> str:
        """A digest of every value (they are small): part of the model it serves."""
        from .fingerprint import tensors_checksum

        tensors = {f"keys.{i}": t for i, t in enumerate(self.keys)}
        tensors.update({f"values.{i}": t for i, t in enumerate(self.values)})
        return tensors_checksum(tensors).removeprefix("sha256:")[:16]

    def layers(self) -> list[tuple[torch.Tensor, torch.Tensor]]:
        """Per layer ``(keys, values)``, each ``[1, kv_heads, length, head_dim]``: the form
        ``Decoder.forward(kv_prefix=...)`` takes."""
        return [
            (k.unsqueeze(0), v.unsqueeze(0)) for k, v in zip(self.keys, self.values, strict=True)
        ]


class KVCache:
    """Keys and values of every layer, each ``[batch, kv_heads, max_len, head_dim]``.

    Allocating the whole length up front means decoding never grows or copies a tensor:
    each step writes one slot per layer with ``index_copy_`` and attends over a view of
    the filled slots. Grouped-query heads are stored unexpanded (``kv_heads``, not
    ``heads``), which is the point of GQA: a smaller cache to read every step.

    A *slot* is a column of the cache. Rows of a batch share slot numbers; each row's
    token positions (for RoPE) are tracked by the caller, so rows of different lengths can
    be padded on the left and still see their own positions.
    """

    def __init__(
        self,
        *,
        n_layers: int,
        batch_size: int,
        n_kv_heads: int,
        max_len: int,
        head_dim: int,
        dtype: torch.dtype,
        device: torch.device | str = "cpu",
    ):
        shape = (batch_size, n_kv_heads, max_len, head_dim)
        # Zeros, not empty: padded slots are masked out of attention, but a masked weight of 0
        # times a NaN left in uninitialised memory would still be NaN.
        self.keys = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        self.values = [torch.zeros(shape, dtype=dtype, device=device) for _ in range(n_layers)]
        self.batch_size = batch_size
        self.max_len = max_len
        self._slots = torch.arange(max_len, device=device)

    def write(
        self, layer: int, start: int, k: torch.Tensor, v: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Store ``k``/``v`` [batch, kv_heads, n, head_dim] in slots ``start .. start+n`` of
        the first ``batch`` rows; return views of those rows' slots ``0 .. start+n``."""
        batch, n = k.shape[0], k.shape[2]
        end = start + n
        if end > self.max_len:
            raise IndexError(f"KV cache holds {self.max_len} slots; writing up to {end}")
        slots = self._slots[start:end]
        keys, values = self.keys[layer], self.values[layer]
        if batch < self.batch_size:
            keys, values = keys[:batch], values[:batch]
        keys.index_copy_(2, slots, k)
        values.index_copy_(2, slots, v)
        return keys[:, :, :end], values[:, :, :end]

    def write_prefix(self, prefix: KVPrefix) -> None:
        """Put ``prefix`` in slots ``0 .. prefix.length`` of every row."""
        n = prefix.length
        for cache, stored in zip(
            (*self.keys, *self.values), (*prefix.keys, *prefix.values), strict=True
        ):
            cache[:, :, :n].copy_(stored.unsqueeze(0).expand(self.batch_size, -1, -1, -1))

    def broadcast_prefix(self, n_slots: int, batch: int) -> None:
        """Copy slots ``0 .. n_slots`` of row 0 into rows ``1 .. batch``: a prompt prefix
        shared by the whole batch is computed once, then copied."""
        for cache in (*self.keys, *self.values):
            head = cache[:1, :, :n_slots]
            cache[1:batch, :, :n_slots].copy_(head.expand(batch - 1, -1, -1, -1))

    def copy_from(self, other: KVCache, n_slots: int, *, row: int = 0) -> None:
        """Take the first ``n_slots`` slots of ``other``'s row ``row`` into row 0 (used when
        the cache is re-allocated larger but its cached prefix is still useful)."""
        for mine, theirs in zip(
            (*self.keys, *self.values), (*other.keys, *other.values), strict=True
        ):
            mine[0, :, :n_slots].copy_(theirs[row, :, :n_slots])

    def row(self, index: int) -> KVCache:
        """Row ``index`` as a cache of one row: a view, so writing to it writes here (a
        prompt is prefilled into its own row of a batch this way)."""
        view = KVCache.__new__(KVCache)
        view.keys = [k[index : index + 1] for k in self.keys]
        view.values = [v[index : index + 1] for v in self.values]
        view.batch_size, view.max_len, view._slots = 1, self.max_len, self._slots
        return view

    def lengthened(self, max_len: int) -> KVCache:
        """A cache of ``max_len`` slots holding what every row of this one holds."""
        keys = self.keys[0]
        longer = KVCache(
            n_layers=len(self.keys),
            batch_size=self.batch_size,
            n_kv_heads=keys.shape[1],
            max_len=max_len,
            head_dim=keys.shape[3],
            dtype=keys.dtype,
            device=keys.device,
        )
        for mine, theirs in zip(
            (*longer.keys, *longer.values), (*self.keys, *self.values), strict=True
        ):
            mine[:, :, : self.max_len].copy_(theirs)
        return longer

    def copy_slots(self, source: int, target: int, n_slots: int) -> None:
        """Copy slots ``0 .. n_slots`` of row ``source`` into row ``target``."""
        for cache in (*self.keys, *self.values):
            cache[target, :, :n_slots].copy_(cache[source, :, :n_slots])

    @property
    def nbytes(self) -> int:
        return sum(t.numel() * t.element_size() for t in (*self.keys, *self.values))
