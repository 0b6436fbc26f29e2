"""Continuous batching: sequences join a running batch between decoding steps and leave it
the moment they finish, so many callers share every step.

:class:`BatchEngine` runs in a thread of its own. Each turn it

1. admits waiting sequences into free rows of one KV cache (``max_batch`` rows);
2. prefills chunks of the sequences still reading their prompts, oldest first, for about
   as long as a decoding step takes, so a long prompt delays the others by a step's time
   per turn, not by all of it;
3. runs one decoding step (:class:`.ragged_step.RaggedStep`) for every sequence that has
   read its prompt, each at its own length;
4. samples each row's token with the row's own parameters, seed, stop strings, logprobs
   and constraint, and hands it to the row's callback; a finished or cancelled row is
   freed at once.

A sequence's tokens are what it would get alone: every row is computed independently of
the others (see :mod:`.ragged_step`), and a prompt is prefilled in chunks whose boundaries
are fixed positions (multiples of ``chunk``), so how a prompt is split does not depend on
what else runs. The prefix cache keeps to those boundaries too: a new prompt reuses the
keys and values of whole chunks that another row (running, or finished and not yet
overwritten) computed for the same tokens, which were computed exactly as the new prompt
would compute them. Like vLLM's prefix caching, which also reuses whole blocks only.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import itertools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from ..errors import EngineClosedError
from ..types import GenerationParams
from .generate import ConstraintStates, Generator, Prompt, RowProgress
from .kv_cache import KVCache
from .outputs import StreamEvent
from .prompt_cache import common_prefix_len
from .quantized import keep_prompt_weights
from .ragged_step import RaggedStep
from .sampling import Sampler, TokenConstraint

__all__ = ["DEFAULT_CHUNK", "BatchEngine", "EngineCounters", "SequenceHandle"]

log = logging.getLogger("promptcraft.nn")

#: Prompt tokens prefilled per turn; measured in ``benchmarks/serve.py``.
DEFAULT_CHUNK = 64
# Cache slots grow in steps of this many, so similar requests reuse one allocation.
_GRANULE = 256
# Stands for an adapter's prefix slots in a row's tokens: not a vocabulary id.
_VIRTUAL = -1

#: What a sequence's callback receives: a token's event, the last event (``finish_reason``
#: set), or the error that ended it.
Delivery = StreamEvent | BaseException


@dataclass
class EngineCounters:
    """What the engine has done since it started (read under the engine's lock)."""

    running: int = 0  # sequences holding a row
    waiting: int = 0  # sequences waiting for a row
    decode_steps: int = 0
    generated_tokens: int = 0
    prefilled_tokens: int = 0
    reused_tokens: int = 0
    #: decoding steps by the number of rows they ran
    batch_sizes: collections.Counter[int] = field(default_factory=collections.Counter)


class SequenceHandle:
    """A submitted sequence: cancel it to free its row after the current step."""

    def __init__(self, sequence: _Sequence, engine: BatchEngine):
        self._sequence = sequence
        self._engine = engine

    def cancel(self) -> None:
        self._sequence.cancelled = True
        self._engine._wake()


@dataclass(eq=False)
class _Sequence:
    tokens: list[int]  # an adapter's virtual tokens, the prompt, then what is generated
    params: GenerationParams
    sampler: Sampler
    states: ConstraintStates | None
    deliver: Callable[[Delivery], None]
    progress: RowProgress | None = None
    row: int = -1
    filled: int = 0  # cache slots written
    prompt_len: int = 0  # len(tokens) before generation, virtual tokens included
    order: int = 0  # when it was admitted
    cancelled: bool = False


class BatchEngine:
    """Generates many sequences at once with a :class:`Generator`'s model and tokenizer.

    ``guard`` is entered around each turn (the local backend passes its lock and thread
    setting, so the engine never computes at the same time as another call on the model).
    ``translate`` turns an error that ends every sequence (:class:`EngineClosedError` when
    the engine closes, or a failed turn's) into what the sequences' callbacks receive: the
    local backend delivers an engine error as a backend error.
    With ``own_thread`` (the default) the first :meth:`submit` starts a thread that runs it;
    without, it runs only in :meth:`work_here`.
    """

    def __init__(
        self,
        generator: Generator,
        *,
        max_batch: int,
        chunk: int = DEFAULT_CHUNK,
        guard: Callable[[], contextlib.AbstractContextManager[object]] = contextlib.nullcontext,
        own_thread: bool = True,
        translate: Callable[[BaseException], BaseException] | None = None,
    ):
        if max_batch < 1 or chunk < 1:
            raise ValueError(f"max_batch and chunk must be at least 1, not {max_batch}, {chunk}")
        self.generator = generator
        self.model = generator.model
        self.max_batch = max_batch
        self.chunk = chunk
        self._guard = guard
        self._translate = translate
        self._step: RaggedStep | None = None
        self._step_seconds = 0.0  # how long the last decoding step took
        self._cache: KVCache | None = None
        self._prefix = generator.kv_prefix  # the adapter prefix the cache holds
        self._rows: list[_Sequence | None] = [None] * max_batch
        # Per row, the tokens whose keys and values it holds exactly as a prompt would
        # compute them (whole prefill chunks), kept after the row frees for reuse.
        self._exact: list[list[int]] = [[] for _ in range(max_batch)]
        self._last_used = [0] * max_batch
        self._turns = itertools.count(1)
        self._waiting: collections.deque[_Sequence] = collections.deque()
        self._lock = threading.Condition()
        self._thread: threading.Thread | None = None
        self._own_thread = own_thread
        self._closed = False
        self.counters = EngineCounters()

    # --- public API ----------------------------------------------------------------------------

    def submit(
        self,
        prompt: Prompt,
        params: GenerationParams,
        deliver: Callable[[Delivery], None],
        *,
        constraint: TokenConstraint | None = None,
    ) -> SequenceHandle:
        """Queue a prompt; ``deliver`` gets its events (on the engine's thread). A prompt
        that does not fit the context, or a constraint that cannot fit ``max_tokens``,
        raises here."""
        ids = self.generator.prompt_ids(prompt, params.max_tokens)
        states = None if constraint is None else ConstraintStates(constraint, 1, params)
        prefix = [_VIRTUAL] * self.generator.kv_prefix_len
        sequence = _Sequence(
            tokens=prefix + ids,
            params=params,
            sampler=Sampler(
                params,
                [ids],
                vocab_size=self.model.config.vocab_size,
                eos_ids=sorted(self.generator.eos_ids),
                device=self.model.device,
            ),
            states=states,
            deliver=deliver,
        )
        sequence.prompt_len = len(sequence.tokens)
        with self._lock:
            if self._closed:
                raise RuntimeError("the batch engine is closed")
            self._waiting.append(sequence)
            self.counters.waiting += 1
            self._lock.notify()
            if self._thread is None and self._own_thread:
                self._thread = threading.Thread(
                    target=self._run, name="promptcraft-batch-engine", daemon=True
                )
                self._thread.start()
        return SequenceHandle(sequence, self)

    def snapshot(self) -> EngineCounters:
        """A copy of :attr:`counters`, taken under the engine's lock."""
        with self._lock:
            sizes = collections.Counter(self.counters.batch_sizes)
            return dataclasses.replace(self.counters, batch_sizes=sizes)

    def work_here(self, running: Callable[[], bool]) -> None:
        """Run the engine in the calling thread while ``running()`` is true (checked at least
        twice a second) or until :meth:`close`, instead of in a thread of its own.

        ``promptcraft serve`` computes on its main thread this way: once the main thread has
        computed with several threads (loading the model does), a decoding step took 58%
        longer on any other thread (19.2 against 12.2 ms, SmolLM2 int4, 2 threads;
        ``benchmarks/batch_step.py``)."""
        with self._lock:
            if self._own_thread:
                raise RuntimeError("this batch engine runs in a thread of its own")
            if self._thread is not None:
                raise RuntimeError("the batch engine runs in another thread already")
            self._thread = threading.current_thread()
        try:
            self._run(running)
        finally:
            with self._lock:
                self._thread = None

    def close(self, timeout: float = 30.0) -> None:
        """Stop the engine after its current turn (waiting up to ``timeout`` seconds for a
        thread of its own); sequences still running end with an error."""
        with self._lock:
            self._closed = True
            self._lock.notify()
            thread = self._thread
        if thread is None:  # nothing runs the engine now: end its sequences here
            self._fail_all(EngineClosedError("the server is shutting down"))
        elif self._own_thread and thread is not threading.current_thread():
            thread.join(timeout)

    # --- the engine thread ---------------------------------------------------------------------

    def _wake(self) -> None:
        with self._lock:
            self._lock.notify()

    def _run(self, running: Callable[[], bool] = lambda: True) -> None:
        while True:
            with self._lock:
                while not self._closed and not self._waiting and not any(self._rows):
                    if not running():
                        break
                    self._lock.wait(0.5)
                if self._closed or not running():
                    break
            try:
                with self._guard():
                    self._turn()
            except Exception as exc:  # a bug or the machine: end every sequence, keep serving
                log.exception("the batch engine failed; ending the sequences it was running")
                self._fail_all(exc)
        if self._closed:
            self._fail_all(EngineClosedError("the server is shutting down"))

    @torch.inference_mode()
    def _turn(self) -> None:
        if self._step is None:  # the first turn: keep the prompt weights, then measure
            keep_prompt_weights(self.model)  # (the layout was settled by the Generator)
            self._step = RaggedStep(self.model, max_rows=self.max_batch)
        self._retire_cancelled()
        self._admit()
        # Prompts get about as much time per turn as the decoding step takes (at least one
        # chunk): a burst of new requests is read quickly, and the rows already streaming
        # wait at most about one step longer.
        started = time.perf_counter()
        while prefilling := [s for s in self._rows if s is not None and s.filled < s.prompt_len]:
            self._prefill_chunk(min(prefilling, key=lambda s: s.order))
            if time.perf_counter() - started >= self._step_seconds:
                break
        decoding = [s for s in self._rows if s is not None and s.filled >= s.prompt_len]
        if decoding:
            started = time.perf_counter()
            self._decode(decoding)
            self._step_seconds = time.perf_counter() - started

    def _admit(self) -> None:
        while True:
            with self._lock:
                free = [row for row, s in enumerate(self._rows) if s is None]
                if not free or not self._waiting:
                    return
                if self.generator.kv_prefix is not self._prefix:
                    if len(free) < self.max_batch:  # rows still use the old prefix
                        return
                    self._prefix, self._cache = self.generator.kv_prefix, None
                    self._exact = [[] for _ in range(self.max_batch)]
                sequence = self._waiting.popleft()
                self.counters.waiting -= 1
                if sequence.cancelled:
                    continue
                self.counters.running += 1
            self._place(sequence, free)

    def _place(self, sequence: _Sequence, free: list[int]) -> None:
        """Give ``sequence`` a free row, with the longest whole-chunk prefix any row holds."""
        virtual = self.generator.kv_prefix_len
        donor = max(range(self.max_batch), key=lambda r: self._reusable(r, sequence))
        reused = self._reusable(donor, sequence)
        row = donor
        if donor not in free:
            row = min(free, key=lambda r: (self._reusable(r, sequence), self._last_used[r]))
        cache = self._cache_for(sequence.prompt_len + sequence.params.max_tokens)
        if donor != row and reused > virtual:
            cache.copy_slots(donor, row, reused)
        self._exact[row] = sequence.tokens[:reused]
        self._last_used[row] = next(self._turns)
        sequence.row, sequence.filled, sequence.order = row, reused, self._last_used[row]
        sequence.progress = self.generator.new_row(
            sequence.prompt_len - virtual,
            reused - virtual,
            sequence.params,
            sequence.states is not None,
        )
        self._rows[row] = sequence
        self.counters.reused_tokens += reused - virtual

    def _reusable(self, row: int, sequence: _Sequence) -> int:
        """How many of ``sequence``'s first slots ``row`` holds exactly: whole chunks, and
        never the whole prompt (its last token is computed for the first new token's
        logits). An adapter's prefix is in every row."""
        chunk = self.chunk
        limit = (sequence.prompt_len - 1) // chunk * chunk
        held = common_prefix_len(self._exact[row], sequence.tokens)
        return max(self.generator.kv_prefix_len, min(held, limit) // chunk * chunk)

    def _catch_up(self, sequence: _Sequence) -> None:
        """Take chunks of ``sequence``'s prompt that another row has computed since it was
        placed (a burst of requests sharing a long prefix computes it once)."""
        assert self._cache is not None and sequence.progress is not None
        donor = max(range(self.max_batch), key=lambda r: self._reusable(r, sequence))
        reused = self._reusable(donor, sequence)
        if reused <= sequence.filled:
            return
        self._cache.copy_slots(donor, sequence.row, reused)
        self._exact[sequence.row] = sequence.tokens[:reused]
        sequence.progress.cached_tokens += reused - sequence.filled
        self.counters.reused_tokens += reused - sequence.filled
        sequence.filled = reused

    def _cache_for(self, length: int) -> KVCache:
        """The cache, with at least ``length`` slots per row."""
        config = self.model.config
        slots = min(config.max_seq_len, -(-length // _GRANULE) * _GRANULE)
        if self._cache is None:
            self._cache = KVCache(
                n_layers=config.n_layers,
                batch_size=self.max_batch,
                n_kv_heads=config.n_kv_heads,
                max_len=slots,
                head_dim=config.head_dim,
                dtype=self.model.dtype,
                device=self.model.device,
            )
            if self._prefix is not None:
                self._cache.write_prefix(self._prefix)
        elif self._cache.max_len < slots:
            self._cache = self._cache.lengthened(slots)
        return self._cache

    def _prefill_chunk(self, sequence: _Sequence) -> None:
        assert self._cache is not None
        self._catch_up(sequence)
        start = sequence.filled
        end = min(sequence.prompt_len, (start // self.chunk + 1) * self.chunk)
        tokens = torch.tensor([sequence.tokens[start:end]], device=self.model.device)
        row = self._cache.row(sequence.row)
        logits = self.model(tokens, cache=row, start=start, last_only=True)
        sequence.filled = end
        if end % self.chunk == 0:
            self._exact[sequence.row] = sequence.tokens[:end]
        self.counters.prefilled_tokens += end - start
        self._last_used[sequence.row] = next(self._turns)
        if end == sequence.prompt_len:
            self._sample(sequence, logits[:, -1])

    def _decode(self, sequences: list[_Sequence]) -> None:
        assert self._cache is not None and self._step is not None
        tokens = torch.tensor([s.tokens[-1] for s in sequences], device=self.model.device)
        logits = self._step(
            tokens, self._cache, [s.row for s in sequences], [s.filled for s in sequences]
        )
        self.counters.decode_steps += 1
        self.counters.batch_sizes[len(sequences)] += 1
        for i, sequence in enumerate(sequences):
            sequence.filled += 1
            self._sample(sequence, logits[i : i + 1])

    def _sample(self, sequence: _Sequence, logits: torch.Tensor) -> None:
        """Choose the sequence's next token from its logits [1, vocab] and deliver it."""
        progress, params, states = sequence.progress, sequence.params, sequence.states
        assert progress is not None
        step = len(progress.token_ids)
        allowed = None if states is None else states.mask([0], params.max_tokens - step)
        chosen = sequence.sampler(logits, step, allowed)
        sequence.sampler.observe(chosen)
        token_id = int(chosen[0])
        logprob = None
        if params.logprobs is not None:
            logprob = self.generator.logprobs(logits, [token_id], params.logprobs)[0]
        eos = token_id in self.generator.eos_ids
        ends = eos and (not params.ignore_eos or states is not None)
        if states is not None and not eos:
            states.advance(0, token_id)
            ends = states.complete(0, last=step + 1 == params.max_tokens)
        text = progress.accept(token_id, logprob, ends=ends, max_tokens=params.max_tokens)
        sequence.tokens.append(token_id)
        with self._lock:
            self.counters.generated_tokens += 1
        sequence.deliver(progress.event(token_id, text, logprob))
        if progress.finish_reason is not None:
            sequence.deliver(progress.last_event())
            self._free(sequence)

    def _free(self, sequence: _Sequence) -> None:
        self._rows[sequence.row] = None
        with self._lock:
            self.counters.running -= 1

    def _retire_cancelled(self) -> None:
        for sequence in self._rows:
            if sequence is not None and sequence.cancelled:
                self._free(sequence)

    def _fail_all(self, exc: BaseException) -> None:
        with self._lock:
            waiting, self._waiting = list(self._waiting), collections.deque()
            self.counters.waiting = 0
        if self._translate is not None:
            exc = self._translate(exc)
        for sequence in [*waiting, *(s for s in self._rows if s is not None)]:
            if sequence.row >= 0:
                self._free(sequence)
            sequence.deliver(exc)
        self._cache = None
        self._exact = [[] for _ in range(self.max_batch)]
