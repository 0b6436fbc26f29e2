"""Stop strings, EOS handling and streaming, on a model whose greedy output is scripted."""

from __future__ import annotations

import pytest
from support.reference_models import EOS, scripted_model

from promptcraft.errors import ContextLengthError
from promptcraft.nn import Generator

PROMPT = [ord(c) for c in "Q: "]
GREEDY = {"temperature": 0}


def _generator(tokenizer, text: str | bytes, *, eos_at: int | None = None) -> Generator:  # type: ignore[no-untyped-def]
    script = list(text.encode() if isinstance(text, str) else text)
    if eos_at is not None:
        script.insert(eos_at, EOS)
    return Generator(scripted_model(tokenizer, script, prompt_len=len(PROMPT)), tokenizer)


def test_scripted_model_emits_its_script(byte_tokenizer) -> None:
    out = _generator(byte_tokenizer, "hello").generate(PROMPT, max_tokens=5, **GREEDY)
    assert out.text == "hello"
    assert out.finish_reason == "length"


def test_stop_string_across_token_boundaries_is_trimmed(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "The answer\n\nQ: next")
    out = generator.generate(PROMPT, max_tokens=20, stop=["\n\nQ:"], **GREEDY)
    assert out.text == "The answer"
    assert out.finish_reason == "stop"
    assert len(out.token_ids) == len("The answer\n\nQ:")  # the stopping token is counted


def test_earliest_of_several_stop_strings_wins(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "one, two. three")
    out = generator.generate(PROMPT, max_tokens=15, stop=[".", ","], **GREEDY)
    assert out.text == "one"


def test_stop_string_that_never_completes_is_released(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "ab abc")
    events = list(generator.stream(PROMPT, max_tokens=6, stop=["abd"], **GREEDY))
    assert "".join(e.text for e in events) == "ab abc"
    assert events[-1].finish_reason == "length"


def test_stream_never_shows_part_of_a_stop_string(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "yes END more")
    deltas = [e.text for e in generator.stream(PROMPT, max_tokens=12, stop=["END"], **GREEDY)]
    assert "".join(deltas) == "yes "
    assert not any("E" in d for d in deltas)


def test_eos_stops_generation_and_adds_no_text(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "done!", eos_at=4)
    out = generator.generate(PROMPT, max_tokens=10, **GREEDY)
    assert out.text == "done"
    assert out.token_ids[-1] == EOS
    assert out.finish_reason == "stop"


def test_ignore_eos_runs_to_max_tokens(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "done!", eos_at=4)
    out = generator.generate(PROMPT, max_tokens=6, ignore_eos=True, **GREEDY)
    assert out.token_ids[4] == EOS
    assert out.text == "done!"  # EOS is a control token: it adds no text
    assert out.finish_reason == "length"
    assert out.usage.completion_tokens == 6


def test_min_tokens_holds_back_eos(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "ok", eos_at=2)
    out = generator.generate(PROMPT, max_tokens=7, min_tokens=5, **GREEDY)
    assert EOS not in out.token_ids[:5]
    assert len(out.token_ids) >= 5


def test_min_tokens_ignores_stop_strings_completed_before_it(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "a.b.c.d")
    out = generator.generate(PROMPT, max_tokens=7, min_tokens=3, stop=["."], **GREEDY)
    assert out.text == "a.b"


def test_stream_deltas_join_to_the_generated_text(byte_tokenizer) -> None:
    text = "héllo wörld, 世界 🎉!"
    generator = _generator(byte_tokenizer, text)
    n = len(text.encode())
    full = generator.generate(PROMPT, max_tokens=n, **GREEDY)
    events = list(generator.stream(PROMPT, max_tokens=n, **GREEDY))
    assert "".join(e.text for e in events) == full.text == text


def test_stream_holds_back_characters_split_across_tokens(byte_tokenizer) -> None:
    text = "é世🎉"  # 2, 3 and 4 bytes: every token is a fragment of a character
    generator = _generator(byte_tokenizer, text)
    deltas = [e.text for e in generator.stream(PROMPT, max_tokens=9, **GREEDY)]
    assert [d for d in deltas if d] == ["é", "世", "🎉"]
    assert all("\ufffd" not in d for d in deltas)


def test_stream_ends_with_finish_reason_and_usage(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "abc")
    generator.generate(PROMPT, max_tokens=1, **GREEDY)  # leaves the prompt in the cache
    events = list(generator.stream(PROMPT, max_tokens=3, **GREEDY))
    assert [e.token_ids for e in events[:-1]] == [[97], [98], [99]]
    last = events[-1]
    assert last.finish_reason == "length"
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (3, 3)
    assert last.usage.cached_prompt_tokens == 2


def test_text_prompt_is_encoded_with_the_tokenizer(byte_tokenizer) -> None:
    out = _generator(byte_tokenizer, "hi").generate("Q: ", max_tokens=2, **GREEDY)
    assert out.usage.prompt_tokens == 3
    assert out.text == "hi"


def test_prompt_plus_max_tokens_beyond_context_raises_with_counts(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "abc")  # context: 3 + 3 + 4 = 10 positions
    with pytest.raises(ContextLengthError, match="exceeds the model's context of 10") as info:
        generator.generate(PROMPT, max_tokens=8)
    assert (info.value.prompt_tokens, info.value.max_context) == (3, 10)


def test_truncate_keeps_the_end_of_a_long_prompt(byte_tokenizer) -> None:
    generator = _generator(byte_tokenizer, "abc")
    out = generator.generate(list(b"xxxxxxx") + PROMPT, max_tokens=7, truncate=True, **GREEDY)
    assert out.usage.prompt_tokens == 3
