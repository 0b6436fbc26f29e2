"""The Generator's calling conventions and guards."""

from __future__ import annotations

import pytest
from support.reference_models import EOS, scripted_model

from promptcraft.errors import InvalidRequestError
from promptcraft.nn import GenerationParams, Generator

PROMPT = [1, 2, 3]


@pytest.fixture
def generator(byte_tokenizer) -> Generator:
    return Generator(scripted_model(byte_tokenizer, list(b"abcdef"), prompt_len=3), byte_tokenizer)


def test_keyword_overrides_update_a_params_object(generator) -> None:
    params = GenerationParams(temperature=0, max_tokens=2)
    assert generator.generate(PROMPT, params, max_tokens=4).text == "abcd"
    assert generator.generate(PROMPT, params).text == "ab"


def test_invalid_keyword_override_is_rejected(generator) -> None:
    with pytest.raises(ValueError, match="top_p"):
        generator.generate(PROMPT, top_p=2.0)


def test_empty_prompt_starts_from_bos(byte_tokenizer) -> None:
    model = scripted_model(byte_tokenizer, list(b"xy"), prompt_len=1)
    model.config = model.config.model_copy(update={"bos_token_id": EOS})
    out = Generator(model, byte_tokenizer).generate("", max_tokens=2, temperature=0)
    assert out.usage.prompt_tokens == 1
    assert out.text == "xy"


def test_empty_prompt_without_bos_is_an_invalid_request_naming_the_prompt(
    byte_tokenizer,
) -> None:
    model = scripted_model(byte_tokenizer, list(b"xy"), prompt_len=1)
    model.config = model.config.model_copy(update={"bos_token_id": None})
    with pytest.raises(InvalidRequestError, match="the prompt is empty") as raised:
        Generator(model, byte_tokenizer).generate("", max_tokens=2)
    assert raised.value.field == "prompt"


def test_token_id_outside_the_vocabulary_is_rejected(generator) -> None:
    with pytest.raises(ValueError, match="token id 999 is outside the vocabulary"):
        generator.generate([1, 999, 3], max_tokens=1)


def test_generate_batch_rejects_a_bare_string(generator) -> None:
    with pytest.raises(TypeError, match="list of prompts"):
        generator.generate_batch("abc", max_tokens=1)


def test_starting_a_generation_while_a_stream_is_paused_is_an_error(generator) -> None:
    stream = generator.stream(PROMPT, max_tokens=5, temperature=0)
    next(stream)
    generator.generate(PROMPT, max_tokens=1, temperature=0)
    with pytest.raises(RuntimeError, match="started another generation"):
        list(stream)


def test_abandoned_stream_leaves_a_usable_cache(generator) -> None:
    stream = generator.stream(PROMPT, max_tokens=5, temperature=0)
    next(stream)
    stream.close()
    out = generator.generate(PROMPT, max_tokens=5, temperature=0)
    assert out.text == "abcde"
    assert out.usage.cached_prompt_tokens == 2


def test_reset_cache_forgets_the_prefix(generator) -> None:
    generator.generate(PROMPT, max_tokens=2, temperature=0)
    generator.reset_cache()
    assert generator.cached_token_ids == []
    assert generator.generate(PROMPT, max_tokens=2, temperature=0).usage.cached_prompt_tokens == 0


def test_model_stays_trainable_after_generating(byte_tokenizer) -> None:
    import torch

    model = scripted_model(byte_tokenizer, list(b"abc"), prompt_len=3)  # row-major weights
    Generator(model, byte_tokenizer).generate(PROMPT, max_tokens=2, temperature=0)
    assert not any(p.is_inference() for p in model.parameters())
    model(torch.tensor([PROMPT])).sum().backward()
    assert model.lm_head.weight.grad is not None
