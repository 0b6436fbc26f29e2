"""The KV cache of a Generator, and how prompts are laid out in it.

Row 0 remembers which tokens its first slots hold, so a prompt that starts like the
previous one (the same instructions and few-shot examples before a new query) reuses those
keys and values instead of computing them again. A batch is laid out in cache slots as::

    [ prefix shared by every prompt | left-padded rest of each prompt | generated ... ]

The shared prefix is computed once, on row 0, and copied to the other rows. Padding slots
are masked out of attention and each row's tokens keep their true positions, so a row's
result does not depend on what else is in the batch.

An adapter's :class:`KVPrefix` (prompt or prefix tuning) occupies slots ``0 .. p`` of every
row, ahead of all of that. It stands in the token list as ``p`` copies of a virtual id that
no real token has, so the prefix is always "already cached" and prompts start at slot ``p``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch

from .compiled_step import CompiledStep
from .kv_cache import KVCache, KVPrefix
from .model import Decoder

__all__ = ["Layout", "PromptCache", "common_prefix_len"]

# The cache grows in steps of this many slots, so similar requests reuse one allocation.
_CACHE_GRANULE = 256
# Stands for an adapter's prefix slots in the token lists: not a vocabulary id.
_VIRTUAL_TOKEN = -1


@dataclass
class Layout:
    """Where a generation call's rows sit in the cache while decoding."""

    batch: int
    slot: int  # next cache slot to write
    reused: int  # prompt tokens taken from the cache
    positions: torch.Tensor | None = None  # [batch, 1] next position per row; None = slot
    valid: torch.Tensor | None = None  # [batch, slots] False at padding; None = no padding


class PromptCache:
    """A model's :class:`KVCache`, allocated on demand, plus the tokens it holds for reuse."""

    def __init__(self, model: Decoder, *, step: CompiledStep | None = None):
        self.model = model
        #: Runs single-sequence decoding steps (``compile=True``); None: the model does.
        self.step = step
        self.kv: KVCache | None = None
        self.token_ids: list[int] = []  # whose keys/values fill row 0's first slots
        self.pad_id = model.config.pad_token_id or 0
        self.prefix: KVPrefix | None = None

    @property
    def prefix_len(self) -> int:
        return 0 if self.prefix is None else self.prefix.length

    def set_prefix(self, prefix: KVPrefix | None) -> None:
        """Start every sequence with ``prefix`` (an adapter's keys and values), or nothing."""
        self.prefix = prefix
        self.reset()

    def reset(self) -> None:
        """Free the cache and forget what it held."""
        self.kv, self.token_ids = None, [_VIRTUAL_TOKEN] * self.prefix_len

    def prefill(self, prompts: list[list[int]], max_tokens: int) -> tuple[torch.Tensor, Layout]:
        """Fill the cache with the prompts (reusing what it already holds); return the last
        position's logits [batch, vocab] and where each row now sits."""
        n = self.prefix_len
        if not n:
            return self._prefill(prompts, max_tokens)
        # The prefix is in the cache from allocation on, so it always counts as reused.
        logits, layout = self._prefill([[_VIRTUAL_TOKEN] * n + p for p in prompts], max_tokens)
        layout.reused -= n
        return logits, layout

    def _prefill(self, prompts: list[list[int]], max_tokens: int) -> tuple[torch.Tensor, Layout]:
        model, batch = self.model, len(prompts)
        if batch == 1:
            prompt = prompts[0]
            reused = min(common_prefix_len(self.token_ids, prompt), len(prompt) - 1)
            cache = self._ensure(1, len(prompt) + max_tokens, keep=reused)
            self.token_ids = prompt[:reused]
            tokens = torch.tensor([prompt[reused:]], device=model.device)
            logits = model(tokens, cache=cache, start=reused, last_only=True)
            self.token_ids = list(prompt)
            return logits[:, -1], Layout(batch=1, slot=len(prompt), reused=reused)

        # The longest prefix common to every prompt is computed once; each prompt keeps at
        # least one token of its own, so every row has a last position to predict from.
        shared = min(min(len(p) for p in prompts) - 1, common_prefix_len(*prompts))
        reused = min(common_prefix_len(self.token_ids, prompts[0]), shared)
        rests = [p[shared:] for p in prompts]
        width = max(len(r) for r in rests)
        cache = self._ensure(batch, shared + width + max_tokens, keep=reused)
        self.token_ids = prompts[0][:reused]
        if shared > reused:
            head = torch.tensor([prompts[0][reused:shared]], device=model.device)
            model(head, cache=cache, start=reused, last_only=True)
        self.token_ids = prompts[0][:shared]
        if shared:
            cache.broadcast_prefix(shared, batch)

        pads = [width - len(r) for r in rests]
        device = model.device
        tokens = torch.tensor(
            [[self.pad_id] * n + r for n, r in zip(pads, rests, strict=True)], device=device
        )
        if not any(pads):  # equal lengths: positions are the slots, nothing to mask
            logits = model(tokens, cache=cache, start=shared, last_only=True)
            return logits[:, -1], Layout(batch=batch, slot=shared + width, reused=reused)

        # Padding sits left of each row's own tokens; positions skip it.
        positions = torch.tensor(
            [
                [0] * n + list(range(shared, shared + len(r)))
                for n, r in zip(pads, rests, strict=True)
            ],
            device=device,
        )
        valid = torch.ones(batch, cache.max_len, dtype=torch.bool, device=device)
        for row, n in enumerate(pads):
            valid[row, shared : shared + n] = False
        query = torch.arange(shared, shared + width, device=device)
        key = torch.arange(shared + width, device=device)
        causal = query[:, None] >= key[None, :]
        # A padding query may attend to itself: a query row with no key at all would make
        # softmax produce NaN, which padding slots would pass on through 0 * NaN.
        mask = causal & (valid[:, None, : shared + width] | (query[:, None] == key[None, :]))
        logits = model(
            tokens,
            positions=positions,
            cache=cache,
            start=shared,
            mask=mask.unsqueeze(1),
            last_only=True,
        )
        last = torch.tensor([[shared + len(r)] for r in rests], device=device)
        layout = Layout(
            batch=batch, slot=shared + width, reused=reused, positions=last, valid=valid
        )
        return logits[:, -1], layout

    def feed(self, layout: Layout, tokens: torch.Tensor, chosen: list[int]) -> torch.Tensor:
        """Run the model on the tokens just generated (``chosen``: the same as a list);
        return the next logits [batch, vocab]."""
        assert self.kv is not None
        if self.step is not None and layout.positions is None and layout.valid is None:
            logits = self.step(tokens.view(-1, 1), cache=self.kv, start=layout.slot)
        else:
            mask = None if layout.valid is None else layout.valid[:, None, None, : layout.slot + 1]
            logits = self.model(
                tokens.view(-1, 1),
                positions=layout.positions,
                cache=self.kv,
                start=layout.slot,
                mask=mask,
            )
        layout.slot += 1
        if layout.positions is not None:
            layout.positions += 1
        if layout.batch == 1:
            self.token_ids.append(chosen[0])
        return logits[:, -1]

    def _ensure(self, batch: int, length: int, *, keep: int) -> KVCache:
        """A cache with at least ``batch`` rows and ``length`` slots whose row 0 still holds
        its first ``keep`` slots."""
        cache, model, config = self.kv, self.model, self.model.config
        stale = cache is not None and (
            cache.keys[0].dtype != model.dtype or cache.keys[0].device != model.device
        )
        if stale:  # the model moved to another dtype or device
            cache, keep = None, 0
        if cache is not None and cache.batch_size >= batch and cache.max_len >= length:
            return cache
        slots = min(config.max_seq_len, -(-length // _CACHE_GRANULE) * _CACHE_GRANULE)
        if cache is not None:
            slots, batch = max(slots, cache.max_len), max(batch, cache.batch_size)
        new = KVCache(
            n_layers=config.n_layers,
            batch_size=batch,
            n_kv_heads=config.n_kv_heads,
            max_len=slots,
            head_dim=config.head_dim,
            dtype=model.dtype,
            device=model.device,
        )
        if cache is not None and keep:
            new.copy_from(cache, keep)
        if self.prefix is not None:
            new.write_prefix(self.prefix)
        self.kv = new
        return new


def common_prefix_len(*sequences: Sequence[int]) -> int:
    """How many leading tokens every one of ``sequences`` shares."""
    n = 0
    for column in zip(*sequences, strict=False):  # stops at the shortest
        if any(t != column[0] for t in column[1:]):
            break
        n += 1
    return n
