"""Sampling: filters, penalties, seeds and log-probabilities."""

from __future__ import annotations

import pytest
import torch
from support.reference_models import Reference

from promptcraft.nn import Generator
from promptcraft.nn.sampling import (
    apply_repetition_penalty,
    filter_min_p,
    filter_top_k,
    filter_top_p,
    token_logprobs,
)

PROMPT = [10, 20, 30, 40, 50]
SAMPLED = {"max_tokens": 16, "temperature": 1.5, "ignore_eos": True}


@pytest.fixture
def generator(reference) -> Generator:
    ref: Reference = reference("llama")
    return Generator(ref.model, ref.tokenizer)


def test_same_seed_gives_same_tokens(generator) -> None:
    first = generator.generate(PROMPT, seed=7, **SAMPLED)
    second = generator.generate(PROMPT, seed=7, **SAMPLED)
    assert first.token_ids == second.token_ids


def test_different_seeds_give_different_tokens(generator) -> None:
    first = generator.generate(PROMPT, seed=1, **SAMPLED)
    second = generator.generate(PROMPT, seed=2, **SAMPLED)
    assert first.token_ids != second.token_ids


def test_top_k_one_equals_greedy(generator) -> None:
    greedy = generator.generate(PROMPT, max_tokens=16, temperature=0, ignore_eos=True)
    sampled = generator.generate(PROMPT, top_k=1, seed=3, **SAMPLED)
    assert sampled.token_ids == greedy.token_ids


def test_tiny_top_p_equals_greedy(generator) -> None:
    greedy = generator.generate(PROMPT, max_tokens=16, temperature=0, ignore_eos=True)
    sampled = generator.generate(PROMPT, top_p=1e-6, seed=3, **SAMPLED)
    assert sampled.token_ids == greedy.token_ids


def test_min_p_one_equals_greedy(generator) -> None:
    greedy = generator.generate(PROMPT, max_tokens=16, temperature=0, ignore_eos=True)
    sampled = generator.generate(PROMPT, min_p=1.0, seed=3, **SAMPLED)
    assert sampled.token_ids == greedy.token_ids


@pytest.mark.parametrize("temperature", [1e-38, 1e-300, 5e-324])
def test_a_vanishing_temperature_samples_like_greedy(generator, temperature: float) -> None:
    greedy = generator.generate(PROMPT, max_tokens=16, temperature=0, ignore_eos=True)
    sampled = generator.generate(
        PROMPT, max_tokens=16, temperature=temperature, ignore_eos=True, seed=3
    )
    assert sampled.token_ids == greedy.token_ids


def test_top_k_keeps_exactly_k_tokens() -> None:
    logits = torch.tensor([[1.0, 5.0, 3.0, 4.0, 2.0]])
    kept = filter_top_k(logits, 2).isfinite()
    assert kept.tolist() == [[False, True, False, True, False]]


def test_top_p_keeps_the_smallest_set_reaching_p() -> None:
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    assert filter_top_p(logits, 0.7).isfinite().tolist() == [[True, True, False, False]]
    assert filter_top_p(logits, 0.8).isfinite().tolist() == [[True, True, False, False]]
    assert filter_top_p(logits, 0.81).isfinite().tolist() == [[True, True, True, False]]


def test_min_p_drops_tokens_below_the_scaled_top_probability() -> None:
    logits = torch.tensor([[0.5, 0.3, 0.15, 0.05]]).log()
    assert filter_min_p(logits, 0.5).isfinite().tolist() == [[True, True, False, False]]


def test_repetition_penalty_shrinks_seen_logits_toward_less_likely() -> None:
    logits = torch.tensor([[2.0, -2.0, 2.0, -2.0]])
    seen = torch.tensor([[True, True, False, False]])
    penalized = apply_repetition_penalty(logits, seen, 2.0)
    assert penalized.tolist() == [[1.0, -4.0, 2.0, -2.0]]


def test_repetition_penalty_reduces_repeats(generator) -> None:
    plain = generator.generate(PROMPT, max_tokens=48, temperature=0, ignore_eos=True)
    penalized = generator.generate(
        PROMPT, max_tokens=48, temperature=0, ignore_eos=True, repetition_penalty=5.0
    )
    assert len(set(penalized.token_ids)) > len(set(plain.token_ids))


def test_logprobs_match_log_softmax_of_the_model(reference) -> None:
    ref: Reference = reference("gpt2")
    out = Generator(ref.model, ref.tokenizer).generate(
        PROMPT, max_tokens=3, temperature=0, logprobs=4, ignore_eos=True
    )
    assert out.logprobs is not None and len(out.logprobs) == 3
    ids = list(PROMPT)
    with torch.inference_mode():
        for entry in out.logprobs:
            expected = torch.log_softmax(ref.model(torch.tensor([ids]))[0, -1], dim=-1)
            assert entry.token_id == int(expected.argmax())
            assert entry.logprob == pytest.approx(float(expected[entry.token_id]), abs=1e-4)
            assert [t.token_id for t in entry.top] == expected.topk(4).indices.tolist()
            assert [t.logprob for t in entry.top] == pytest.approx(
                expected.topk(4).values.tolist(), abs=1e-4
            )
            ids.append(entry.token_id)


def test_logprobs_zero_gives_only_the_chosen_token(generator) -> None:
    out = generator.generate(PROMPT, max_tokens=2, temperature=0, logprobs=0)
    assert out.logprobs is not None
    assert all(entry.top == [] for entry in out.logprobs)


def test_no_logprobs_unless_asked(generator) -> None:
    assert generator.generate(PROMPT, max_tokens=2, temperature=0).logprobs is None


def test_logprobs_asked_beyond_the_vocabulary_return_every_token() -> None:
    logits = torch.tensor([[0.0, 1.0, 2.0]])
    [(chosen, top)] = token_logprobs(logits, [2], 20)
    assert [token_id for token_id, _ in top] == [2, 1, 0]
    assert chosen == pytest.approx(top[0][1])
