"""The records backends return."""

from __future__ import annotations

import pytest

from promptcraft.backends import Chunk, Completion, Request, Usage


def test_decoder_and_backends_share_one_usage_class() -> None:
    from promptcraft.nn import Usage as DecoderUsage

    assert DecoderUsage is Usage


def test_completion_reports_cached_prompt_tokens_from_usage() -> None:
    out = Completion(
        text="hi",
        finish_reason="stop",
        usage=Usage(prompt_tokens=10, completion_tokens=1, cached_prompt_tokens=9),
    )
    assert out.cached_prompt_tokens == 9
    assert out.model_dump()["cached_prompt_tokens"] == 9


def test_completion_from_chunks_joins_the_stream() -> None:
    usage = Usage(prompt_tokens=3, completion_tokens=2)
    chunks = [Chunk(text="he"), Chunk(text="llo"), Chunk(finish_reason="length", usage=usage)]
    out = Completion.from_chunks(chunks, model="m")
    assert (out.text, out.finish_reason, out.usage, out.model) == ("hello", "length", usage, "m")


def test_completion_from_an_unfinished_stream_is_an_error() -> None:
    with pytest.raises(ValueError, match="ended before its last chunk"):
        Completion.from_chunks([Chunk(text="he")])


def test_request_holds_a_prompt_or_messages_not_both() -> None:
    with pytest.raises(ValueError, match="either a prompt or messages"):
        Request(prompt="hi", messages=({"role": "user", "content": "hi"},))  # type: ignore[arg-type]
