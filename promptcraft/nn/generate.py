"""The generation engine: prompts in, sampled tokens and text out, one or many at a time.

:class:`Generator` runs the loop: prefill the prompts (through its :class:`PromptCache`,
which reuses a cached prefix and lays out batches), then sample a token per row, turn it
into text, check stop conditions, and feed it back, until every row has finished.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from ..errors import EngineRequestError, TokenizerError
from ..tokenizers.tokenizer import Tokenizer
from ..types import GenerationParams
from .compiled_step import CompiledStep
from .context import GENERATOR_TRUNCATE_HINT, ContextWindow
from .kv_cache import KVPrefix
from .model import Decoder
from .outputs import FinishReason, GenerationOutput, StreamEvent, TokenLogprob, TopLogprob, Usage
from .prompt_cache import PromptCache
from .sampling import Sampler, TokenConstraint, token_logprobs
from .stop_text import StopTextStream

__all__ = ["ConstraintStates", "Generator", "Prompt", "RowProgress"]

Prompt = str | Sequence[int]


@dataclass
class RowProgress:
    """One sequence's progress through a generation call."""

    prompt_tokens: int
    cached_tokens: int
    text: StopTextStream
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[TokenLogprob] | None = None
    finish_reason: FinishReason | None = None

    def output(self) -> GenerationOutput:
        assert self.finish_reason is not None
        return GenerationOutput(
            text=self.text.text,
            token_ids=self.token_ids,
            finish_reason=self.finish_reason,
            usage=self.usage(),
            logprobs=self.logprobs,
        )

    def usage(self) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=len(self.token_ids),
            cached_prompt_tokens=self.cached_tokens,
        )

    def accept(
        self, token_id: int, logprob: TokenLogprob | None, *, ends: bool, max_tokens: int
    ) -> str:
        """Record a generated token (``ends``: it is an end-of-sequence token, or completes a
        constrained output); return the text it adds, with all that was held back when it
        ends the row."""
        self.token_ids.append(token_id)
        if self.logprobs is not None and logprob is not None:
            self.logprobs.append(logprob)
        text = self.text.push(token_id)
        if self.text.stopped or ends:
            self.finish_reason = "stop"
        elif len(self.token_ids) == max_tokens:
            self.finish_reason = "length"
        if self.finish_reason is not None:
            text += self.text.finish()
        return text

    def event(self, token_id: int, text: str, logprob: TokenLogprob | None) -> StreamEvent:
        return StreamEvent(
            text=text, token_ids=[token_id], logprobs=None if logprob is None else [logprob]
        )

    def last_event(self) -> StreamEvent:
        return StreamEvent(finish_reason=self.finish_reason, usage=self.usage())


class Generator:
    """Generates text with a :class:`Decoder` and its tokenizer.

    Not thread-safe: one generation at a time per Generator (it owns the KV cache).
    Building one settles the model's weight layout for decoding (:meth:`Decoder.use_fast_layout
    <promptcraft.nn.model.Decoder.use_fast_layout>`), once: call that again after moving the
    model to another dtype or device.
    Parameters come as a :class:`GenerationParams`, as keyword overrides, or both::

        gen = Generator(model, tokenizer)
        out = gen.generate("Q: 2+2?\\nA:", max_tokens=8, temperature=0)
        for event in gen.stream("Once upon a time", max_tokens=50):
            print(event.text, end="")
    """

    def __init__(self, model: Decoder, tokenizer: Tokenizer, *, compile: bool = False):
        self.model = model
        self.tokenizer = tokenizer
        self.config = model.config
        eos = set(self.config.eos_token_ids)
        if not eos and tokenizer.eos_token_id is not None:
            eos.add(tokenizer.eos_token_id)
        self.eos_ids = frozenset(i for i in eos if i < self.config.vocab_size)
        # Control tokens (EOS, chat markers) carry no text; added tokens that HF marks
        # non-special (such as "<think>") do.
        self._silent_ids = frozenset(
            i for text, i in tokenizer.special_tokens.items() if text not in tokenizer.added_tokens
        )
        with torch.inference_mode(False):  # weights laid out here must stay trainable
            model.use_fast_layout()  # once, here: no generation call lays weights out again
        # compile: single-sequence decoding steps through torch.compile (.compiled_step)
        self._cache = PromptCache(model, step=CompiledStep(model) if compile else None)
        self._run = itertools.count()
        self._current_run = -1

    # --- public API ----------------------------------------------------------------------------

    def encode(self, text: str, *, allow_special: bool = False) -> list[int]:
        """Prompt text → token ids, with BOS first when the checkpoint asks for it.
        Special-token text (``<|endoftext|>``) stays plain text unless ``allow_special``."""
        ids = self.tokenizer.encode(text, allow_special=allow_special)
        bos = self.config.bos_token_id
        if self.config.add_bos_token and bos is not None:
            ids = [bos, *ids]
        return ids

    def generate(
        self,
        prompt: Prompt,
        params: GenerationParams | None = None,
        *,
        truncate: bool = False,
        constraint: TokenConstraint | None = None,
        **overrides: Any,
    ) -> GenerationOutput:
        """Complete one prompt (text or token ids). With ``truncate``, a prompt too long for
        the context keeps its last tokens; otherwise it raises :class:`ContextLengthError`.
        A ``constraint`` allows only the tokens it allows, and ends the output when it is
        complete (stop strings do not apply then)."""
        return self.generate_batch(
            [prompt], params, truncate=truncate, constraint=constraint, **overrides
        )[0]

    def generate_batch(
        self,
        prompts: Sequence[Prompt],
        params: GenerationParams | None = None,
        *,
        truncate: bool = False,
        constraint: TokenConstraint | None = None,
        **overrides: Any,
    ) -> list[GenerationOutput]:
        """Complete several prompts in one batch; each stops on its own. Each row gets what
        its prompt gets alone (greedy, or sampled with a ``seed``), up to float rounding:
        padding is masked and every row keeps its own positions and random generator."""
        rows: list[RowProgress] = []
        for _ in self._decode(prompts, _params(params, overrides), truncate, rows, constraint):
            pass
        return [row.output() for row in rows]

    def stream(
        self,
        prompt: Prompt,
        params: GenerationParams | None = None,
        *,
        truncate: bool = False,
        constraint: TokenConstraint | None = None,
        **overrides: Any,
    ) -> Iterator[StreamEvent]:
        """Generate one prompt, yielding one event per token and a last event with
        ``finish_reason`` and ``usage``. Joined, the events' ``text`` is the completion."""
        rows: list[RowProgress] = []
        for _, token_id, text, logprob in self._decode(
            [prompt], _params(params, overrides), truncate, rows, constraint
        ):
            yield rows[0].event(token_id, text, logprob)
        yield rows[0].last_event()

    def reset_cache(self) -> None:
        """Free the KV cache and forget the cached prefix. Call it after changing the
        model's weights: cached keys and values were computed with the old ones."""
        self._cache.reset()

    def set_kv_prefix(self, prefix: KVPrefix | None) -> None:
        """Start every sequence with these keys and values (a prompt- or prefix-tuning
        adapter, see :mod:`promptcraft.tuning`), or with nothing again. They take the first
        ``prefix.length`` positions of the context."""
        self._cache.set_prefix(prefix)

    @property
    def kv_prefix(self) -> KVPrefix | None:
        """The adapter's keys and values set by :meth:`set_kv_prefix` (None without one)."""
        return self._cache.prefix

    @property
    def kv_prefix_len(self) -> int:
        """Context positions taken by the adapter's prefix (0 without one)."""
        return self._cache.prefix_len

    @property
    def context_length(self) -> int:
        """The most prompt plus completion tokens a sequence may hold: the model's context
        less the adapter's prefix."""
        return self.config.max_seq_len - self._cache.prefix_len

    @property
    def cached_token_ids(self) -> list[int]:
        """The tokens whose keys and values the cache holds for reuse."""
        return list(self._cache.token_ids[self._cache.prefix_len :])

    # --- the decoding loop -----------------------------------------------------------------------

    @torch.inference_mode()
    def _decode(
        self,
        prompts: Sequence[Prompt],
        params: GenerationParams,
        truncate: bool,
        rows: list[RowProgress],
        constraint: TokenConstraint | None = None,
    ) -> Iterator[tuple[int, int, str, TokenLogprob | None]]:
        """Run one generation call, appending a :class:`RowProgress` per prompt to ``rows`` and
        yielding ``(row, token id, text delta, logprob)`` for every generated token."""
        if isinstance(prompts, str):
            raise TypeError("generate_batch takes a list of prompts, not one string")
        ids = [self.prompt_ids(p, params.max_tokens, truncate) for p in prompts]
        if not ids:
            return
        states = None if constraint is None else ConstraintStates(constraint, len(ids), params)
        run = self._current_run = next(self._run)
        logits, layout = self._cache.prefill(ids, params.max_tokens)
        rows.extend(self.new_row(len(p), layout.reused, params, states is not None) for p in ids)
        sampler = Sampler(
            params,
            ids,
            vocab_size=self.config.vocab_size,
            eos_ids=sorted(self.eos_ids),
            device=self.model.device,
        )
        stop_at_eos = not params.ignore_eos or states is not None
        active = list(range(len(ids)))
        for step in range(params.max_tokens):
            allowed = None if states is None else states.mask(active, params.max_tokens - step)
            tokens = sampler(logits, step, allowed)
            sampler.observe(tokens)
            chosen = tokens.tolist()
            logprobs = (
                None if params.logprobs is None else self.logprobs(logits, chosen, params.logprobs)
            )
            still_active = []
            for b in active:
                row, token_id = rows[b], chosen[b]
                logprob = None if logprobs is None else logprobs[b]
                ends = stop_at_eos and token_id in self.eos_ids
                if states is not None and token_id not in self.eos_ids:
                    states.advance(b, token_id)
                    ends = states.complete(b, last=step + 1 == params.max_tokens)
                text = row.accept(token_id, logprob, ends=ends, max_tokens=params.max_tokens)
                if row.finish_reason is None:
                    still_active.append(b)
                yield b, token_id, text, logprob
            active = still_active
            if not active:
                return
            if self._current_run != run:
                raise RuntimeError(
                    "this Generator started another generation while a stream was paused; "
                    "finish or close one stream before starting the next"
                )
            logits = self._cache.feed(layout, tokens, chosen)

    def new_row(
        self, prompt_tokens: int, cached_tokens: int, params: GenerationParams, constrained: bool
    ) -> RowProgress:
        """The progress record of one sequence about to be generated."""
        stream = StopTextStream(
            self.tokenizer,
            [] if constrained else params.stop,  # a constraint decides where it ends
            min_tokens=params.min_tokens,
            silent_ids=self._silent_ids,
        )
        return RowProgress(
            prompt_tokens=prompt_tokens,
            cached_tokens=cached_tokens,
            text=stream,
            logprobs=None if params.logprobs is None else [],
        )

    def prompt_ids(self, prompt: Prompt, max_tokens: int, truncate: bool = False) -> list[int]:
        """A prompt's token ids, checked against the vocabulary and fitted to the context
        (:attr:`context_length`) by the engine's one policy (:mod:`.context`): with
        ``truncate``, a prompt too long keeps its last tokens."""
        ids = self.encode(prompt) if isinstance(prompt, str) else [int(i) for i in prompt]
        if not ids:
            if self.config.bos_token_id is None:
                raise EngineRequestError(
                    "the prompt is empty and the model has no BOS token to start from",
                    field="prompt",
                )
            ids = [self.config.bos_token_id]
        bad = next((i for i in ids if not 0 <= i < self.config.vocab_size), None)
        if bad is not None:
            raise EngineRequestError(
                f"token id {bad} is outside the vocabulary ({self.config.vocab_size})",
                field="prompt",
            )
        window = ContextWindow(
            self.context_length,
            truncate="left" if truncate else None,
            truncate_hint=GENERATOR_TRUNCATE_HINT,
        )
        return window.fit_prompt(ids, max_tokens)

    def logprobs(self, logits: torch.Tensor, chosen: list[int], n: int) -> list[TokenLogprob]:
        """Each row's chosen token and ``n`` most likely tokens, with log-probabilities."""
        return [
            TokenLogprob(
                token_id=token_id,
                token=self._token_text(token_id),
                logprob=logprob,
                top=[
                    TopLogprob(token_id=i, token=self._token_text(i), logprob=value)
                    for i, value in top
                ],
            )
            for token_id, (logprob, top) in zip(
                chosen, token_logprobs(logits, chosen, n), strict=True
            )
        ]

    def _token_text(self, token_id: int) -> str:
        try:
            return self.tokenizer.token_bytes(token_id).decode("utf-8", errors="replace")
        except TokenizerError:  # a padding row of the embedding, unknown to the tokenizer
            return ""


class ConstraintStates:
    """Each row's state in a :class:`TokenConstraint` during one generation call."""

    def __init__(self, constraint: TokenConstraint, batch: int, params: GenerationParams):
        if constraint.min_tokens > params.max_tokens:
            raise EngineRequestError(
                f"the constraint needs at least {constraint.min_tokens} tokens but max_tokens "
                f"is {params.max_tokens}; raise max_tokens",
                field="max_tokens",
            )
        self.constraint = constraint
        self.states = [constraint.start] * batch

    def mask(self, active: list[int], budget: int) -> torch.Tensor:
        """The allowed tokens [batch, vocab]; rows that finished allow everything."""
        c = self.constraint
        if len(self.states) == 1:
            return c.allowed(self.states[0], budget).unsqueeze(0)
        rows = [c.allowed(s, budget) for s in self.states]
        done = set(range(len(rows))) - set(active)
        for b in done:
            rows[b] = torch.ones_like(rows[b])
        return torch.stack(rows)

    def advance(self, row: int, token_id: int) -> None:
        self.states[row] = self.constraint.advance(self.states[row], token_id)

    def complete(self, row: int, last: bool) -> bool:
        """The row's output is a full match and nothing more can (or may) follow."""
        state = self.states[row]
        return self.constraint.is_final(state) and (last or not self.constraint.can_continue(state))


def _params(params: GenerationParams | None, overrides: dict[str, Any]) -> GenerationParams:
    if not overrides:
        return params or GenerationParams()
    base = params.model_dump(exclude_unset=True) if params is not None else {}
    return GenerationParams.model_validate({**base, **overrides})
