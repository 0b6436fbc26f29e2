"""The log-probability of every token of some continuations after some prompts, with the
decoder's KV cache doing each piece of work once.

For ranked choices (:mod:`promptcraft.structured.ranking`) the continuations are the
choices, and every prompt is scored against all of them::

    row 0:      [ shared prefix | prompt's own tokens ]            ← each computed once
    rows 0..n:  [ copied from row 0                   | choice i, right-padded ]

1. The prefix all prompts of the call share (instructions, few-shot examples) runs once,
   into row 0 of a KV cache.
2. Each prompt's own remaining tokens run after it, on row 0.
3. Row 0's slots are copied to one row per choice of two tokens or more, and those choices
   run in one batch. Padding goes on the right: a causal mask never lets a real token see
   what comes after it, so padding needs no mask of its own.

A choice's first token is scored by the prompt's last logits (a one-token choice needs
nothing more); its j-th by the logits at its own position j-1; its last token is never fed.
Choices run in chunks so that their logits stay within :data:`LOGITS_BYTES`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..tokenizers.tokenizer import Tokenizer
from ..types import ChoiceRanking, OptionScore, Usage, continuation_text
from .context import ContextWindow
from .kv_cache import KVCache, KVPrefix
from .model import Decoder
from .prompt_cache import common_prefix_len

__all__ = ["LOGITS_BYTES", "continuation_logprobs", "rank_options"]

#: The most memory the logits of one batch of continuations may take ([rows, tokens, vocab]
#: float32): 64 MiB is 56 rows of 6 tokens on a 49k-token vocabulary.
LOGITS_BYTES = 64 * 2**20


def rank_options(
    decoder: Decoder,
    tokenizer: Tokenizer,
    prompts: Sequence[Sequence[int]],
    options: Sequence[str],
    *,
    window: ContextWindow,
    kv_prefix: KVPrefix | None = None,
) -> list[ChoiceRanking]:
    """Every option scored after each prompt (token ids): a :class:`ChoiceRanking` per
    prompt. An option is scored with one leading space unless the prompt ends in whitespace
    (:func:`~promptcraft.types.continuation_text`). ``window`` is the room for a prompt and
    an option (``kv_prefix``, an adapter's, comes before it and is not counted): a prompt that
    leaves no room there for the longest option raises
    :class:`~promptcraft.errors.ContextLengthError`, or with ``truncate="left"`` loses its
    oldest tokens (a leading BOS stays)."""
    if not options or any(not isinstance(o, str) or not o for o in options):
        raise ValueError(f"rank_choices needs non-empty option strings, not {list(options)!r}")
    spellings = {
        spaced: [tokenizer.encode(continuation_text(o, not spaced)) for o in options]
        for spaced in (False, True)
    }
    fitted, spaced_after = [], []
    for ids in prompts:
        ids = list(ids) or [decoder.config.bos_token_id or 0]
        spaced = not _ends_in_space(tokenizer, ids[-1])
        longest = max(len(c) for c in spellings[spaced])
        fitted.append(window.fit_continuations(ids, longest))
        spaced_after.append(spaced)
    rankings: list[ChoiceRanking | None] = [None] * len(fitted)
    for spaced, continuations in spellings.items():
        rows = [i for i, s in enumerate(spaced_after) if s == spaced]
        if not rows:
            continue
        scored = continuation_logprobs(
            decoder, [fitted[i] for i in rows], continuations, kv_prefix=kv_prefix
        )
        for i, per_option in zip(rows, scored, strict=True):
            rankings[i] = ChoiceRanking(
                scores=tuple(
                    OptionScore(option=o, logprob=sum(lps), tokens=len(lps))
                    for o, lps in zip(options, per_option, strict=True)
                ),
                usage=Usage(prompt_tokens=len(fitted[i]), completion_tokens=0),
            )
    return [r for r in rankings if r is not None]


def _ends_in_space(tokenizer: Tokenizer, token_id: int) -> bool:
    """Whether the prompt's last token ends in whitespace (a control token, such as a BOS
    alone, counts as a boundary too)."""
    text = tokenizer.decode([token_id])
    return not text or text[-1].isspace()


@torch.inference_mode()
def continuation_logprobs(
    decoder: Decoder,
    prompts: Sequence[Sequence[int]],
    continuations: Sequence[Sequence[int]],
    *,
    kv_prefix: KVPrefix | None = None,
) -> list[list[list[float]]]:
    """``[prompt][continuation][token]``: the log-probability of each continuation token
    given the prompt and the continuation's earlier tokens. Every prompt and continuation
    must hold at least one token, and ``kv_prefix`` (an adapter) comes before every prompt;
    the caller checks that the longest prompt plus the longest continuation fits the
    model's context."""
    if not prompts or not continuations:
        return [[] for _ in prompts]
    if any(not p for p in prompts) or any(not c for c in continuations):
        raise ValueError("every prompt and every continuation needs at least one token")
    config = decoder.config
    start = 0 if kv_prefix is None else kv_prefix.length
    shared = min(common_prefix_len(*prompts), min(len(p) for p in prompts))
    width = max(len(c) for c in continuations) - 1  # the last token is never fed
    chunk = max(1, min(len(continuations), LOGITS_BYTES // (4 * config.vocab_size * max(width, 1))))
    cache = KVCache(
        n_layers=config.n_layers,
        batch_size=chunk,
        n_kv_heads=config.n_kv_heads,
        max_len=start + max(len(p) for p in prompts) + width,
        head_dim=config.head_dim,
        dtype=decoder.dtype,
        device=decoder.device,
    )
    if kv_prefix is not None:
        cache.write_prefix(kv_prefix)
    device = decoder.device
    head_logits = None
    if shared:
        head = torch.tensor([list(prompts[0][:shared])], device=device)
        head_logits = decoder(head, cache=cache, start=start, last_only=True)[0, -1]

    results = []
    for prompt in prompts:
        rest = list(prompt[shared:])
        if rest:
            tokens = torch.tensor([rest], device=device)
            last = decoder(tokens, cache=cache, start=start + shared, last_only=True)[0, -1]
        else:
            assert head_logits is not None
            last = head_logits
        first = torch.log_softmax(last.float(), dim=-1)
        scores = [[float(first[c[0]])] for c in continuations]
        longer = [i for i, c in enumerate(continuations) if len(c) > 1]  # one token: done
        end = start + len(prompt)
        for at in range(0, len(longer), chunk):
            rows = longer[at : at + chunk]
            group = [continuations[i] for i in rows]
            _score_rest(decoder, cache, end, group, [scores[i] for i in rows])
        results.append(scores)
    return results


def _score_rest(
    decoder: Decoder,
    cache: KVCache,
    end: int,
    group: Sequence[Sequence[int]],
    scores: Sequence[list[float]],
) -> None:
    """Score tokens 1.. of each continuation of ``group`` (row 0 holds the prompt's keys and
    values in slots ``0 .. end``), appending to its list in ``scores``."""
    pad = decoder.config.pad_token_id or 0
    width = max(len(c) for c in group) - 1
    if len(group) > 1:
        cache.broadcast_prefix(end, len(group))
    fed = [list(c[:-1]) + [pad] * (width - len(c) + 1) for c in group]
    logits = decoder(torch.tensor(fed, device=decoder.device), cache=cache, start=end)
    logprobs = torch.log_softmax(logits.float(), dim=-1)  # [rows, width, vocab]
    for i, continuation in enumerate(group):
        positions = torch.arange(len(continuation) - 1, device=logprobs.device)
        targets = torch.tensor(continuation[1:], dtype=torch.long, device=logprobs.device)
        picked = logprobs[i, positions, targets]
        scores[i].extend(picked.tolist())
