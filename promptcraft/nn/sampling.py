"""Choose the next token from the model's logits, as GenerationParams asks.

The steps run in the order vLLM and transformers use: repetition penalty, then temperature,
then the top-k / top-p / min-p filters, then a draw. Each row of a batch draws from its own
``torch.Generator`` seeded with ``seed``, so a prompt gets the same tokens alone or batched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import torch

from ..types import GenerationParams

__all__ = [
    "Sampler",
    "TokenConstraint",
    "apply_repetition_penalty",
    "filter_min_p",
    "filter_top_k",
    "filter_top_p",
    "token_logprobs",
]


def apply_repetition_penalty(
    logits: torch.Tensor, seen: torch.Tensor, penalty: float
) -> torch.Tensor:
    """Make tokens already ``seen`` less likely: positive logits are divided by
    ``penalty``, negative ones multiplied (CTRL paper; as in transformers and vLLM)."""
    penalized = torch.where(logits > 0, logits / penalty, logits * penalty)
    return torch.where(seen, penalized, logits)


def filter_top_k(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep the ``k`` highest logits of each row (ties at the cut are kept)."""
    if k >= logits.shape[-1]:
        return logits
    kth = logits.topk(k, dim=-1).values[:, -1:]
    return logits.masked_fill(logits < kth, float("-inf"))


def filter_top_p(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Keep the smallest set of most likely tokens whose probability reaches ``p``."""
    if p >= 1.0:
        return logits
    sorted_logits, order = logits.sort(dim=-1, descending=True)
    probs = sorted_logits.softmax(dim=-1)
    # A token is dropped when the tokens ranked above it already hold mass >= p; the top
    # token always stays.
    mass_before = probs.cumsum(dim=-1) - probs
    drop_sorted = mass_before >= p
    drop = drop_sorted.scatter(-1, order, drop_sorted)
    return logits.masked_fill(drop, float("-inf"))


def filter_min_p(logits: torch.Tensor, min_p: float) -> torch.Tensor:
    """Drop tokens less likely than ``min_p`` times the most likely one."""
    if min_p <= 0.0:
        return logits
    probs = logits.softmax(dim=-1)
    threshold = probs.max(dim=-1, keepdim=True).values * min_p
    return logits.masked_fill(probs < threshold, float("-inf"))


def token_logprobs(
    logits: torch.Tensor, chosen: Sequence[int], n: int
) -> list[tuple[float, list[tuple[int, float]]]]:
    """For each row: the log-probability of its ``chosen`` token and the ``n`` most likely
    (id, log-probability) pairs, under the model's own distribution (raw logits: before
    penalties, temperature and filters, as vLLM reports them)."""
    logp = torch.log_softmax(logits.float(), dim=-1)
    picked = logp.gather(1, torch.tensor(list(chosen), device=logp.device).view(-1, 1))
    values, ids = logp.topk(min(n, logp.shape[-1]), dim=-1)  # a tiny vocabulary has fewer
    return [
        (lp, list(zip(row_ids, row_values, strict=True)))
        for lp, row_ids, row_values in zip(
            picked.view(-1).tolist(), ids.tolist(), values.tolist(), strict=True
        )
    ]


def _divide_by_temperature(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """``logits / temperature``, also when the quotient overflows float32 (a temperature
    near 0, or a logit a tiny repetition penalty blew up), where a NaN softmax would pick
    token 0: then shifted so the top logits are 0 and divided in float64, which tends to
    greedy, as the temperature does."""
    scaled = logits / temperature
    if bool(torch.isfinite(scaled.amax(dim=-1)).all()):
        return scaled
    top = logits.amax(dim=-1, keepdim=True)
    shifted = ((logits - top).double() / temperature).float()
    return shifted.masked_fill(logits == top, 0.0)  # also where the top logit is +inf


class TokenConstraint(Protocol):
    """Which tokens may come next, state by state: constrained decoding. The generator masks
    every other token's logit. :mod:`promptcraft.constraints.automaton` builds these from
    choices, regular expressions and JSON schemas."""

    @property
    def start(self) -> int:
        """The state before any token."""
        ...

    @property
    def min_tokens(self) -> int:
        """The fewest tokens any complete output takes."""
        ...

    def allowed(self, state: int, budget: int) -> torch.Tensor:
        """Bool mask [vocab] of the tokens allowed in ``state`` that leave an output which
        can still be completed within ``budget`` tokens (this one included)."""
        ...

    def advance(self, state: int, token_id: int) -> int: ...

    def is_final(self, state: int) -> bool:
        """The output so far is complete (an end-of-sequence token may follow)."""
        ...

    def can_continue(self, state: int) -> bool:
        """Some token may still extend the output."""
        ...


class Sampler:
    """Per-call sampling state: seeded generators and the tokens each row has seen."""

    def __init__(
        self,
        params: GenerationParams,
        prompts: Sequence[Sequence[int]],
        *,
        vocab_size: int,
        eos_ids: Sequence[int],
        device: torch.device,
    ):
        self.params = params
        batch = len(prompts)
        self.seen: torch.Tensor | None = None
        if params.repetition_penalty != 1.0:
            self.seen = torch.zeros(batch, vocab_size, dtype=torch.bool, device=device)
            for row, prompt in enumerate(prompts):
                self.seen[row, list(prompt)] = True
        # min_tokens holds back every end-of-sequence id until enough tokens exist.
        self.eos = torch.tensor(sorted(eos_ids), dtype=torch.long, device=device)
        self.generators: list[torch.Generator] = []
        self.noise: torch.Tensor | None = None
        if not params.greedy:
            for _ in range(batch):
                generator = torch.Generator(device=device)
                if params.seed is None:
                    generator.seed()
                else:
                    generator.manual_seed(params.seed)
                self.generators.append(generator)
            self.noise = torch.empty(batch, vocab_size, device=device)

    def __call__(
        self, logits: torch.Tensor, step: int, allowed: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Next token ids [batch] from ``logits`` [batch, vocab] at generation ``step``;
        only tokens ``allowed`` [batch, vocab] (bool), when given, can be drawn."""
        p = self.params
        logits = logits.float()
        if allowed is not None:
            logits = logits.masked_fill(~allowed, float("-inf"))
        if self.seen is not None:
            logits = apply_repetition_penalty(logits, self.seen, p.repetition_penalty)
        if step < p.min_tokens and not p.ignore_eos and self.eos.numel():
            logits = logits.index_fill(-1, self.eos, float("-inf"))
        if p.greedy:
            return logits.argmax(dim=-1)
        logits = _divide_by_temperature(logits, p.temperature)
        if p.top_k is not None:
            logits = filter_top_k(logits, p.top_k)
        logits = filter_top_p(logits, p.top_p)
        logits = filter_min_p(logits, p.min_p)
        probs = logits.softmax(dim=-1)
        # Drawing from `probs` = argmax of probs / Exponential(1) noise (the "exponential race",
        # equivalent to Gumbel-max), with noise from each row's own generator.
        assert self.noise is not None
        for row, generator in enumerate(self.generators):
            self.noise[row].exponential_(generator=generator)
        return (probs / self.noise).argmax(dim=-1)

    def observe(self, tokens: torch.Tensor) -> None:
        """Record the tokens just generated (for the repetition penalty)."""
        if self.seen is not None:
            self.seen.scatter_(1, tokens.view(-1, 1), True)
