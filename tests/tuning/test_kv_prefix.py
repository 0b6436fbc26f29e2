"""A KV prefix (what prompt and prefix tuning serve as) behaves exactly like the tokens it
was computed from, alone, batched and with the prefix cache."""

from __future__ import annotations

from collections.abc import Callable

import torch

from promptcraft.nn import Decoder, Generator
from promptcraft.nn.kv_cache import KVPrefix
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning.methods import kv_prefix_of_embeddings

PREFIX = [17, 301, 5, 99, 640]
PROMPTS = [[40, 41, 42], [7, 8], [40, 41, 9, 10, 11, 12]]


def _prefix(model: Decoder) -> KVPrefix:
    return kv_prefix_of_embeddings(model, model.tok_emb.weight[PREFIX].detach())


def test_prefix_generates_as_if_its_tokens_came_first(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    plain = Generator(model, bundled_tokenizer)
    tuned = Generator(model, bundled_tokenizer)
    tuned.set_kv_prefix(_prefix(model))
    for prompt in PROMPTS:
        expected = plain.generate(PREFIX + prompt, max_tokens=6, temperature=0, ignore_eos=True)
        got = tuned.generate(prompt, max_tokens=6, temperature=0, ignore_eos=True)
        assert got.token_ids == expected.token_ids


def test_prefix_composes_with_batching(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    generator = Generator(model, bundled_tokenizer)
    generator.set_kv_prefix(_prefix(model))
    params = {"max_tokens": 5, "temperature": 0, "ignore_eos": True}
    alone = [generator.generate(p, **params).token_ids for p in PROMPTS]
    batched = [out.token_ids for out in generator.generate_batch(PROMPTS, **params)]
    assert batched == alone


def test_prefix_composes_with_the_prefix_cache(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    generator = Generator(model, bundled_tokenizer)
    generator.set_kv_prefix(_prefix(model))
    first = generator.generate([40, 41, 42, 43], max_tokens=3, temperature=0, ignore_eos=True)
    again = generator.generate([40, 41, 42, 44], max_tokens=3, temperature=0, ignore_eos=True)
    fresh = Generator(model, bundled_tokenizer)
    fresh.set_kv_prefix(_prefix(model))
    alone = fresh.generate([40, 41, 42, 44], max_tokens=3, temperature=0, ignore_eos=True)
    assert first.usage.cached_prompt_tokens == 0
    assert again.usage.cached_prompt_tokens == 3
    assert again.token_ids == alone.token_ids
    assert generator.cached_token_ids[:4] == [40, 41, 42, 44]


def test_prefix_takes_its_length_from_the_context(
    tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    model = tiny_model()
    generator = Generator(model, bundled_tokenizer)
    generator.set_kv_prefix(_prefix(model))
    assert generator.kv_prefix_len == len(PREFIX)
    room = model.config.max_seq_len - len(PREFIX)
    out = generator.generate([40] * (room - 2), max_tokens=2, temperature=0, ignore_eos=True)
    assert len(out.token_ids) == 2


def test_forward_with_kv_prefix_matches_the_cached_path(tiny_model: Callable[..., Decoder]) -> None:
    model = tiny_model()
    prefix = _prefix(model)
    tokens = torch.tensor([[40, 41, 42, 43]])
    with torch.no_grad():
        trained_path = model(tokens, kv_prefix=prefix.layers(), start=len(PREFIX))
        reference = model(torch.tensor([[*PREFIX, 40, 41, 42, 43]]))[:, len(PREFIX) :]
    torch.testing.assert_close(trained_path, reference, rtol=1e-4, atol=1e-5)


def test_forward_embeds_stand_in_for_token_embeddings(tiny_model: Callable[..., Decoder]) -> None:
    model = tiny_model()
    tokens = torch.tensor([[*PREFIX, 40, 41]])
    with torch.no_grad():
        embeds = model.tok_emb(tokens[:, :3])
        got = model(tokens[:, 3:], embeds=embeds)
        expected = model(tokens)
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-6)
