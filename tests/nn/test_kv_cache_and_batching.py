"""The KV cache, prefix reuse and batching change speed, never results."""

from __future__ import annotations

import pytest
import torch
from support.reference_models import Reference

from promptcraft.nn import Generator, KVCache


def _ids(n: int, seed: int) -> list[int]:
    return torch.randint(0, 256, (n,), generator=torch.Generator().manual_seed(seed)).tolist()


def _greedy_without_cache(model, prompt: list[int], n: int) -> tuple[list[int], list[torch.Tensor]]:  # type: ignore[no-untyped-def]
    """The reference: a full forward pass over the whole sequence for every new token."""
    ids, logits = list(prompt), []
    with torch.inference_mode():
        for _ in range(n):
            last = model(torch.tensor([ids]))[0, -1]
            logits.append(last)
            ids.append(int(last.argmax()))
    return ids[len(prompt) :], logits


@pytest.mark.parametrize("family", ["gpt2", "llama"])
def test_cached_decoding_equals_full_forward_decoding(reference, family) -> None:
    ref: Reference = reference(family)
    prompt = _ids(20, seed=5)
    expected_ids, expected_logits = _greedy_without_cache(ref.model, prompt, 24)
    cache = KVCache(
        n_layers=ref.model.config.n_layers,
        batch_size=1,
        n_kv_heads=ref.model.config.n_kv_heads,
        max_len=64,
        head_dim=ref.model.config.head_dim,
        dtype=torch.float32,
    )
    ids, start = torch.tensor([prompt]), 0
    with torch.inference_mode():
        for step in range(24):
            last = ref.model(ids, cache=cache, start=start, last_only=True)[0, -1]
            torch.testing.assert_close(last, expected_logits[step], atol=1e-4, rtol=0)
            start += ids.shape[1]
            ids = last.argmax().view(1, 1)
            assert int(ids) == expected_ids[step]


def test_generator_greedy_equals_full_forward_decoding(reference) -> None:
    ref: Reference = reference("qwen2")
    prompt = _ids(16, seed=6)
    expected, _ = _greedy_without_cache(ref.model, prompt, 20)
    out = Generator(ref.model, ref.tokenizer).generate(
        prompt, max_tokens=20, temperature=0, ignore_eos=True
    )
    assert out.token_ids == expected


def test_cache_keeps_grouped_query_heads_unexpanded_in_model_dtype(reference) -> None:
    ref: Reference = reference("mistral")  # 4 query heads share 1 kv head
    generator = Generator(ref.model, ref.tokenizer)
    generator.generate(_ids(5, seed=7), max_tokens=2, temperature=0)
    cache = generator._cache.kv
    assert cache is not None
    assert cache.keys[0].shape[:2] == (1, 1)
    assert cache.keys[0].shape[3] == ref.model.config.head_dim
    assert cache.keys[0].dtype == ref.model.dtype


def test_prefix_cache_reports_reused_prompt_tokens(reference) -> None:
    ref: Reference = reference("llama")
    generator = Generator(ref.model, ref.tokenizer)
    shared = _ids(30, seed=8)
    first = generator.generate([*shared, 1, 2, 3], max_tokens=4, temperature=0)
    second = generator.generate([*shared, 9, 9], max_tokens=4, temperature=0)
    assert first.usage.cached_prompt_tokens == 0
    assert second.usage.cached_prompt_tokens == 30
    assert second.usage.prompt_tokens == 32


def test_prefix_cache_gives_identical_output(reference) -> None:
    ref: Reference = reference("llama")
    shared = _ids(30, seed=9)
    query = [*shared, 40, 41, 42]
    warm = Generator(ref.model, ref.tokenizer)
    warm.generate([*shared, 7], max_tokens=3, temperature=0)
    reused = warm.generate(query, max_tokens=16, temperature=0, ignore_eos=True)
    fresh = Generator(ref.model, ref.tokenizer).generate(
        query, max_tokens=16, temperature=0, ignore_eos=True
    )
    assert reused.usage.cached_prompt_tokens == 30
    assert reused.token_ids == fresh.token_ids


def test_repeating_a_prompt_reuses_all_but_its_last_token(reference) -> None:
    ref: Reference = reference("gpt2")
    generator = Generator(ref.model, ref.tokenizer)
    prompt = _ids(12, seed=10)
    generator.generate(prompt, max_tokens=5, temperature=0)
    again = generator.generate(prompt, max_tokens=5, temperature=0)
    assert again.usage.cached_prompt_tokens == 11  # the last token is run to get its logits


def test_batch_results_equal_running_each_prompt_alone(reference) -> None:
    ref: Reference = reference("llama")
    prompts = [_ids(n, seed=20 + n) for n in (5, 17, 11, 1)]
    batch = Generator(ref.model, ref.tokenizer).generate_batch(
        prompts, max_tokens=12, temperature=0, ignore_eos=True
    )
    for prompt, out in zip(prompts, batch, strict=True):
        alone = Generator(ref.model, ref.tokenizer).generate(
            prompt, max_tokens=12, temperature=0, ignore_eos=True
        )
        assert out.token_ids == alone.token_ids


def test_batch_with_shared_prefix_equals_running_alone(reference) -> None:
    ref: Reference = reference("gpt2")
    shared = _ids(25, seed=30)
    prompts = [[*shared, *_ids(n, seed=40 + n)] for n in (1, 6, 3)]
    batch = Generator(ref.model, ref.tokenizer).generate_batch(
        prompts, max_tokens=10, temperature=0, ignore_eos=True
    )
    for prompt, out in zip(prompts, batch, strict=True):
        alone = Generator(ref.model, ref.tokenizer).generate(
            prompt, max_tokens=10, temperature=0, ignore_eos=True
        )
        assert out.token_ids == alone.token_ids


def test_batch_reuses_a_prefix_cached_by_an_earlier_call(reference) -> None:
    ref: Reference = reference("llama")
    generator = Generator(ref.model, ref.tokenizer)
    shared = _ids(20, seed=50)
    generator.generate([*shared, 1], max_tokens=2, temperature=0)
    outs = generator.generate_batch([[*shared, 5, 6], [*shared, 7]], max_tokens=2, temperature=0)
    assert [o.usage.cached_prompt_tokens for o in outs] == [20, 20]


def test_sampled_batch_rows_equal_sampling_alone_with_the_same_seed(reference) -> None:
    ref: Reference = reference("qwen2")
    prompts = [_ids(4, seed=60), _ids(9, seed=61)]
    params = {"max_tokens": 10, "temperature": 1.0, "seed": 123, "ignore_eos": True}
    batch = Generator(ref.model, ref.tokenizer).generate_batch(prompts, **params)
    for prompt, out in zip(prompts, batch, strict=True):
        alone = Generator(ref.model, ref.tokenizer).generate(prompt, **params)
        assert out.token_ids == alone.token_ids


def test_batch_rows_stop_independently(byte_tokenizer) -> None:
    from support.reference_models import scripted_model

    # A longer prompt starts further into the script: row 0 reads "ab.", row 1 "cdef".
    model = scripted_model(byte_tokenizer, list(b"ab.cdef"), prompt_len=3)
    generator = Generator(model, byte_tokenizer)
    outs = generator.generate_batch(
        [[1, 2, 3], [4, 5, 6, 7, 8, 9]], max_tokens=4, stop=["."], temperature=0
    )
    assert [o.text for o in outs] == ["ab", "cdef"]
    assert [o.finish_reason for o in outs] == ["stop", "length"]
    assert [len(o.token_ids) for o in outs] == [3, 4]
