"""The batch engine: sequences that join and leave a running batch get exactly what they
get alone, whatever else runs beside them."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import torch
from support.random_prompts import random_prompt

from promptcraft.backends.local import LocalBackend
from promptcraft.constraints.automaton import compile_constraint
from promptcraft.constraints.constraints import Choices
from promptcraft.nn import GenerationParams, StreamEvent, Usage
from promptcraft.nn.continuous_batching import BatchEngine, Delivery
from promptcraft.nn.kv_cache import KVCache
from promptcraft.nn.ragged_step import RaggedStep, row_group


@pytest.fixture(scope="module")
def backend() -> Iterator[LocalBackend]:
    yield LocalBackend.load("pc-tiny", threads=1)


@pytest.fixture
def engine(backend: LocalBackend) -> Iterator[BatchEngine]:
    engine = backend.batch_engine(max_batch=6, chunk=16)
    yield engine
    engine.close()


@dataclass
class Collected:
    """What one sequence delivered."""

    texts: list[str] = field(default_factory=list)
    token_ids: list[int] = field(default_factory=list)
    logprobs: list[float] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)

    def __call__(self, item: Delivery) -> None:
        if isinstance(item, BaseException):
            self.error = item
            self.done.set()
        elif item.finish_reason is not None:
            self.finish_reason, self.usage = item.finish_reason, item.usage
            self.done.set()
        else:
            self.texts.append(item.text)
            self.token_ids.extend(item.token_ids)
            self.logprobs.extend(lp.logprob for lp in item.logprobs or ())

    def result(self) -> tuple[str, list[int], list[float], str | None]:
        assert self.done.wait(120), "the sequence never finished"
        assert self.error is None, self.error
        return "".join(self.texts), self.token_ids, self.logprobs, self.finish_reason


def _prompts(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [random_prompt(rng) for _ in range(n)]


def _mixed_params(n: int) -> list[GenerationParams]:
    """Greedy and seeded sampling, stop strings, logprobs and lengths, differing per row."""
    kinds = [
        GenerationParams(max_tokens=12, temperature=0),
        GenerationParams(max_tokens=20, temperature=0.9, top_p=0.9, seed=7),
        GenerationParams(max_tokens=16, temperature=0, stop=["\n"], logprobs=2),
        GenerationParams(max_tokens=9, temperature=1.2, top_k=20, seed=3, min_tokens=4),
        GenerationParams(max_tokens=14, temperature=0, repetition_penalty=1.3),
    ]
    return [kinds[i % len(kinds)] for i in range(n)]


def _run_alone(engine: BatchEngine, prompt: str, params: GenerationParams) -> tuple:
    collected = Collected()
    engine.submit(prompt, params, collected)
    return collected.result()


def _alone_then_together(
    engine: BatchEngine, n: int, *, seed: int, stagger: float = 0.0
) -> tuple[list[tuple], list[tuple]]:
    """``n`` mixed requests run one at a time, then submitted ``stagger`` seconds apart at
    most (at random): what each got."""
    prompts, params = _prompts(n, seed=seed), _mixed_params(n)
    alone = [_run_alone(engine, p, q) for p, q in zip(prompts, params, strict=True)]
    rng = random.Random(seed)
    together = [Collected() for _ in prompts]
    for prompt, q, collected in zip(prompts, params, together, strict=True):
        engine.submit(prompt, q, collected)
        time.sleep(rng.random() * stagger)
    return alone, [c.result() for c in together]


def test_rows_that_join_at_random_times_get_what_they_get_alone(engine: BatchEngine) -> None:
    alone, together = _alone_then_together(engine, 14, seed=1, stagger=0.02)
    assert together == alone
    assert len({a[0] for a in alone}) > 3  # distinct outputs: a mix-up would show
    assert max(engine.counters.batch_sizes) > 1  # they did share steps


def test_cancelled_rows_free_their_place_and_leave_the_others_unchanged(
    engine: BatchEngine,
) -> None:
    prompts = _prompts(8, seed=3)
    params = GenerationParams(max_tokens=40, temperature=0, ignore_eos=True)
    alone = [_run_alone(engine, p, params) for p in prompts]
    collected = [Collected() for _ in prompts]
    handles = [engine.submit(p, params, c) for p, c in zip(prompts, collected, strict=True)]
    for i in (1, 4, 6):
        handles[i].cancel()
    for i, c in enumerate(collected):
        if i not in (1, 4, 6):
            assert c.result() == alone[i]
    deadline = time.monotonic() + 30
    while engine.counters.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert engine.counters.running == 0 and engine.counters.waiting == 0


def test_more_sequences_than_rows_wait_and_all_finish(engine: BatchEngine) -> None:
    prompts = _prompts(15, seed=4)
    params = GenerationParams(max_tokens=6, temperature=0)
    collected = [Collected() for _ in prompts]
    for prompt, c in zip(prompts, collected, strict=True):
        engine.submit(prompt, params, c)
    assert all(c.result()[3] in ("stop", "length") for c in collected)
    assert max(engine.counters.batch_sizes) <= engine.max_batch


def test_a_shared_prompt_prefix_is_reused_in_whole_chunks_without_changing_outputs(
    backend: LocalBackend,
) -> None:
    head = "Answer every question about the quiet river city briefly and clearly. " * 3
    params = GenerationParams(max_tokens=10, temperature=0)
    fresh = backend.batch_engine(max_batch=2, chunk=16)
    try:
        expected = _run_alone(fresh, head + "Q: where?", params)
    finally:
        fresh.close()
    engine = backend.batch_engine(max_batch=2, chunk=16)
    try:
        first = Collected()
        engine.submit(head + "Q: who?", params, first)
        first.result()
        second = Collected()
        engine.submit(head + "Q: where?", params, second)
        assert second.result() == expected
        assert second.usage is not None
        cached = second.usage.cached_prompt_tokens
        assert cached > 0 and cached % 16 == 0
    finally:
        engine.close()


def test_a_constrained_row_keeps_its_constraint_beside_free_rows(
    backend: LocalBackend, engine: BatchEngine
) -> None:
    automaton = compile_constraint(
        Choices(["positive", "negative"]),
        backend.tokenizer,
        vocab_size=backend.decoder.config.vocab_size,
        eos_ids=sorted(backend.generator.eos_ids),
    )
    params = GenerationParams(max_tokens=8, temperature=0)
    prompt = "Review: a bright, quiet story. Sentiment:"
    collected = Collected()
    engine.submit(prompt, params, collected, constraint=automaton)
    alone = collected.result()
    others = [Collected() for _ in range(4)]
    together = Collected()
    for i, other in enumerate(others):
        engine.submit(_prompts(4, seed=5)[i], params, other)
        if i == 1:
            engine.submit(prompt, params, together, constraint=automaton)
    assert together.result() == alone
    assert alone[0].strip() in ("positive", "negative")


def test_a_prompt_too_long_for_the_context_is_refused_at_submit(engine: BatchEngine) -> None:
    from promptcraft.errors import ContextLengthError

    context = engine.model.config.max_seq_len
    with pytest.raises(ContextLengthError):
        engine.submit([1] * context, GenerationParams(max_tokens=4), Collected())


def test_an_adapter_prefix_leaves_rows_what_they_get_alone(
    backend: LocalBackend, engine: BatchEngine
) -> None:
    from promptcraft.nn.kv_cache import KVPrefix

    config = backend.decoder.config
    generator = torch.Generator().manual_seed(0)

    def part() -> tuple[torch.Tensor, ...]:
        shape = (config.n_kv_heads, 5, config.head_dim)
        return tuple(torch.randn(shape, generator=generator) for _ in range(config.n_layers))

    backend.generator.set_kv_prefix(KVPrefix(keys=part(), values=part()))
    try:
        alone, together = _alone_then_together(engine, 6, seed=6)
        assert together == alone
    finally:
        backend.generator.set_kv_prefix(None)


def test_the_ragged_step_computes_each_row_as_a_batch_of_one(backend: LocalBackend) -> None:
    model, config = backend.decoder, backend.decoder.config
    step = RaggedStep(model, max_rows=8)
    cache = KVCache(
        n_layers=config.n_layers,
        batch_size=8,
        n_kv_heads=config.n_kv_heads,
        max_len=128,
        head_dim=config.head_dim,
        dtype=model.dtype,
    )
    lengths = [3, 40, 17, 90, 1, 64, 25, 8]
    generator = torch.Generator().manual_seed(0)
    with torch.inference_mode():
        for row, length in enumerate(lengths):
            prompt = torch.randint(0, config.vocab_size, (1, length), generator=generator)
            model(prompt, cache=cache.row(row), start=0)
        tokens = torch.randint(0, config.vocab_size, (8,), generator=generator)
        together = step(tokens, cache, list(range(8)), lengths)
        for row in range(8):
            alone = step(tokens[row : row + 1], cache, [row], [lengths[row]])
            assert torch.equal(alone[0], together[row])


def test_stream_events_have_the_generators_shape(engine: BatchEngine) -> None:
    events: list[Delivery] = []
    done = threading.Event()

    def deliver(item: Delivery) -> None:
        events.append(item)
        if isinstance(item, BaseException) or item.finish_reason is not None:
            done.set()

    engine.submit("The city", GenerationParams(max_tokens=5, temperature=0), deliver)
    assert done.wait(60)
    assert all(isinstance(e, StreamEvent) for e in events)
    last = events[-1]
    assert isinstance(last, StreamEvent) and last.usage is not None
    assert last.usage.completion_tokens == sum(len(e.token_ids) for e in events[:-1])


def test_the_default_model_in_int4_gives_rows_what_they_get_alone(smollm2_gguf: Path) -> None:
    # The served model's own kernels: int4 rows, fbgemm's output layer one row at a time,
    # and a row alone through the model's plain forward.
    backend = LocalBackend.load(str(smollm2_gguf), dtype="int4", threads=1)
    engine = backend.batch_engine(max_batch=4, chunk=32)
    try:
        alone, together = _alone_then_together(engine, 6, seed=8)
        assert together == alone
        assert max(engine.counters.batch_sizes) > 1
    finally:
        engine.close()


class _ScaledByBatch(torch.nn.Module):
    """A product that quantises its whole batch by one scale, as fbgemm's dynamic one does."""

    in_features = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scale = x.abs().amax() / 127
        return torch.round(x / scale) * scale


class _RowByRow(torch.nn.Module):
    in_features = 8

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * 3 - x.sum(dim=-1, keepdim=True)


def test_row_group_finds_a_kernel_that_mixes_rows_and_one_that_does_not() -> None:
    assert row_group(_ScaledByBatch(), 8, dtype=torch.float32) == 0  # rows one at a time
    assert row_group(_RowByRow(), 8, dtype=torch.float32) == 1
