"""LocalBackend over the decoder: completions, streams, the prefix cache and the context."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from promptcraft.backends import Completion, LocalBackend, load_backend
from promptcraft.errors import ContextLengthError

GREEDY: dict[str, Any] = {"temperature": 0.0}


def test_generate_returns_a_completion_with_usage_and_model_name(backend: LocalBackend) -> None:
    out = backend.generate("The quick brown", max_tokens=12, **GREEDY)
    assert isinstance(out, Completion)
    assert out.text
    assert out.finish_reason == "length"
    assert out.usage.completion_tokens == 12
    assert out.usage.prompt_tokens == 1 + backend.count_tokens("The quick brown")  # BOS first
    assert out.model == "tiny-llama"


def test_greedy_generation_repeats_exactly(backend: LocalBackend) -> None:
    first = backend.generate("Question: what", max_tokens=16, **GREEDY)
    second = backend.generate("Question: what", max_tokens=16, **GREEDY)
    assert first.text == second.text


def test_stream_joins_to_the_text_of_generate(backend: LocalBackend) -> None:
    whole = backend.generate("Translate to French", max_tokens=20, **GREEDY)
    chunks = list(backend.stream("Translate to French", max_tokens=20, **GREEDY))
    assert "".join(c.text for c in chunks) == whole.text


def test_only_the_last_chunk_has_finish_reason_and_usage(backend: LocalBackend) -> None:
    chunks = list(backend.stream("hello", max_tokens=6, **GREEDY))
    assert [c.finish_reason for c in chunks[:-1]] == [None] * (len(chunks) - 1)
    assert chunks[-1].finish_reason == "length"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 6


def test_stop_string_ends_the_completion_before_it(backend: LocalBackend) -> None:
    free = backend.generate("Summarize:", max_tokens=30, **GREEDY).text
    stop = free[6:9]
    out = backend.generate("Summarize:", max_tokens=30, stop=[stop], **GREEDY)
    assert out.text == free[: free.index(stop)]
    assert out.finish_reason == "stop"


def test_logprobs_come_back_one_per_generated_token(backend: LocalBackend) -> None:
    out = backend.generate("hello", max_tokens=5, logprobs=3, **GREEDY)
    assert out.logprobs is not None and len(out.logprobs) == 5
    assert all(len(step.top) == 3 for step in out.logprobs)
    assert "".join(step.token for step in out.logprobs) == out.text


def test_second_call_with_the_same_prompt_reuses_the_cached_prefix(
    fresh_backend: LocalBackend,
) -> None:
    prompt = "Instructions: answer briefly.\nQuestion: what is two plus two?\nAnswer:"
    first = fresh_backend.generate(prompt, max_tokens=4, **GREEDY)
    second = fresh_backend.generate(prompt, max_tokens=4, **GREEDY)
    assert first.cached_prompt_tokens == 0
    # every prompt token but the last, whose logits start the completion
    assert second.cached_prompt_tokens == second.usage.prompt_tokens - 1
    assert second.text == first.text


def test_prompt_sharing_a_prefix_reuses_that_prefix(fresh_backend: LocalBackend) -> None:
    shared = "Instructions: answer briefly.\n"
    fresh_backend.generate(shared + "Question: two plus two?", max_tokens=2, **GREEDY)
    out = fresh_backend.generate(shared + "Question: three?", max_tokens=2, **GREEDY)
    common = 1 + len(fresh_backend.tokenizer.encode(shared + "Question:"))  # BOS first
    assert out.cached_prompt_tokens == common


def test_prompt_longer_than_the_context_raises_with_counts(backend: LocalBackend) -> None:
    prompt = "two plus two " * 60
    with pytest.raises(ContextLengthError, match=r"exceeds the context of 128 tokens") as info:
        backend.generate(prompt, max_tokens=8)
    assert info.value.prompt_tokens == 1 + backend.count_tokens(prompt)
    assert info.value.max_context == 128
    assert str(info.value.prompt_tokens) in str(info.value)


def test_truncate_left_keeps_the_end_of_a_long_prompt(tiny_model_dir: Path) -> None:
    backend = load_backend(f"local:{tiny_model_dir}", truncate="left")
    out = backend.generate("two plus two " * 60, max_tokens=8, **GREEDY)
    assert out.usage.prompt_tokens == 128 - 8


def test_unset_max_tokens_shrinks_to_what_the_context_leaves(backend: LocalBackend) -> None:
    prompt = "two plus two " * 15
    n = 1 + backend.count_tokens(prompt)
    out = backend.generate(prompt, **GREEDY)
    assert out.usage.completion_tokens == 128 - n
    assert out.finish_reason == "length"


def test_max_context_option_lowers_the_context(tiny_model_dir: Path) -> None:
    backend = load_backend(f"local:{tiny_model_dir}", max_context=32)
    assert backend.capabilities.max_context == 32
    with pytest.raises(ContextLengthError, match="context of 32 tokens"):
        backend.generate("two plus two " * 10, max_tokens=8)


def test_max_context_above_the_models_is_rejected(tiny_model_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"max_context must be between 1 and the model's context"):
        load_backend(f"local:{tiny_model_dir}", max_context=4096)


def test_threads_get_the_same_outputs_as_sequential_calls(backend: LocalBackend) -> None:
    prompts = ["The quick", "Question:", "Translate", "Summarize", "hello", "bonjour"] * 2
    expected = [backend.generate(p, max_tokens=10, **GREEDY).text for p in prompts]
    results: dict[int, str] = {}

    def work(i: int) -> None:
        results[i] = backend.generate(prompts[i], max_tokens=10, **GREEDY).text

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(prompts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [results[i] for i in range(len(prompts))] == expected


def test_calling_the_backend_while_a_stream_is_paused_does_not_deadlock(
    backend: LocalBackend,
) -> None:
    expected = backend.generate("hello", max_tokens=8, **GREEDY).text
    stream = backend.stream("The quick", max_tokens=8, **GREEDY)
    next(stream)
    assert backend.generate("hello", max_tokens=8, **GREEDY).text == expected
    assert list(stream)[-1].finish_reason == "length"


def test_closing_a_stream_early_frees_the_backend(backend: LocalBackend) -> None:
    stream = backend.stream("The quick", max_tokens=100, **GREEDY)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert list(stream) == []
    assert backend.generate("hello", max_tokens=3, **GREEDY).usage.completion_tokens == 3


def test_count_tokens_uses_the_models_tokenizer(backend: LocalBackend) -> None:
    text = "two plus two is four"
    assert backend.count_tokens(text) == len(backend.tokenizer.encode(text))


def test_capabilities_describe_the_local_model(backend: LocalBackend) -> None:
    caps = backend.capabilities
    assert caps.chat and caps.completion and caps.streaming and caps.logprobs
    assert caps.prefix_cache
    assert not caps.native_tool_calls
    assert caps.max_context == 128


def test_dtype_option_sets_the_weights_precision(tiny_model_dir: Path) -> None:
    import torch

    backend = load_backend(f"local:{tiny_model_dir}", dtype="bfloat16")
    assert isinstance(backend, LocalBackend)
    assert backend.decoder.dtype == torch.bfloat16
    assert backend.generate("hello", max_tokens=3, **GREEDY).usage.completion_tokens == 3


def test_a_prompt_that_fills_the_context_without_max_tokens_says_no_room_is_left(
    backend: LocalBackend,
) -> None:
    prompt = "two plus two " * 60  # more than 128 tokens; the caller set no max_tokens
    with pytest.raises(ContextLengthError) as info:
        backend.generate(prompt)
    message = str(info.value)
    assert "which leaves no room for a completion in the context of 128 tokens" in message
    assert "max_tokens" not in message  # the caller never set it: do not blame it


def test_min_tokens_beyond_the_room_the_prompt_leaves_is_named(backend: LocalBackend) -> None:
    prompt = "two plus two " * 15
    room = 128 - (1 + backend.count_tokens(prompt))
    with pytest.raises(ContextLengthError, match=f"leaves {room} of the context.*min_tokens is"):
        backend.generate(prompt, min_tokens=room + 1)


def test_max_tokens_that_leaves_no_room_for_any_prompt_is_named(tiny_model_dir: Path) -> None:
    backend = load_backend(f"local:{tiny_model_dir}", truncate="left")
    with pytest.raises(ContextLengthError, match="max_tokens is 128, which leaves no room") as info:
        backend.generate("two plus two", max_tokens=128)
    assert "truncate='left'" not in str(info.value)  # it is on already


def test_count_tokens_of_a_non_string_is_a_type_error(backend: LocalBackend) -> None:
    with pytest.raises(TypeError, match=r"count_tokens\(\) takes a text \(str\), not NoneType"):
        backend.count_tokens(None)  # type: ignore[arg-type]


def test_a_stream_closed_while_it_waits_for_the_model_never_runs(
    fresh_backend: LocalBackend,
) -> None:
    fresh_backend.generate("hello", max_tokens=2, **GREEDY)
    cached = fresh_backend.generator.cached_token_ids
    consumed: list[object] = []
    with fresh_backend._lock:  # another call is generating
        stream = fresh_backend.stream("The quick brown", max_tokens=8, **GREEDY)
        consumer = threading.Thread(target=lambda: consumed.extend(stream))
        consumer.start()
        while not any(t.name == "promptcraft-stream-tiny-llama" for t in threading.enumerate()):
            threading.Event().wait(0.001)  # until its producer waits for the model
        stream.close()  # type: ignore[attr-defined]
    consumer.join()
    assert consumed == []
    assert fresh_backend.generator.cached_token_ids == cached  # no prefill happened
