"""What the OpenAI backend makes of the answers servers really send: streamed deltas in their
various framings, tool calls in pieces, reasoning fields under two names, log-probabilities
in both shapes. Against a real HTTP server that replays scripted answers."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from support.scripted_openai_server import (
    Reply,
    ScriptedServer,
    chat_answer,
    chat_delta,
    text_answer,
    usage_event,
)

from promptcraft.backends import Chunk, Completion, OpenAIBackend, ToolCall, Usage

pytestmark = pytest.mark.timeout(60)

HI = [{"role": "user", "content": "hi"}]


@pytest.fixture
def backend(server: ScriptedServer) -> Iterator[OpenAIBackend]:
    with OpenAIBackend("scripted-model", base_url=server.url) as live:
        yield live


def joined(chunks: Iterator[Chunk] | list[Chunk]) -> Completion:
    return Completion.from_chunks(chunks)


# --- plain answers ------------------------------------------------------------------------------


def test_generate_posts_the_raw_prompt_to_completions(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=text_answer(" Paris", finish_reason="stop")))
    out = backend.generate("Capital of France:", max_tokens=3, temperature=0, stop=["\n"])
    assert (out.text, out.finish_reason, out.usage.total_tokens) == (" Paris", "stop", 5)
    sent = server.received[0]
    assert (sent.path, sent.json["prompt"], sent.json["stop"]) == (
        "/v1/completions",
        "Capital of France:",
        ["\n"],
    )


def test_chat_posts_messages_to_chat_completions(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer("Hello!")))
    assert backend.chat(HI).text == "Hello!"
    assert (server.received[0].path, server.received[0].json["messages"]) == (
        "/v1/chat/completions",
        HI,
    )


def test_cached_prompt_tokens_are_reported(backend: OpenAIBackend, server: ScriptedServer) -> None:
    answer = chat_answer()
    answer["usage"]["prompt_tokens_details"] = {"cached_tokens": 4}
    server.script(Reply(body=answer))
    assert backend.chat(HI).cached_prompt_tokens == 4


def test_list_models_reads_the_model_ids(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(body={"object": "list", "data": [{"id": "a"}, {"id": "b"}]}))
    assert backend.list_models() == ["a", "b"]
    assert (server.received[0].method, server.received[0].path) == ("GET", "/v1/models")


# --- stream framing -----------------------------------------------------------------------------


def test_finish_reason_on_a_separate_empty_chunk_ends_the_stream(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(
            events=[
                chat_delta(role="assistant", content=""),
                chat_delta(content="Hel"),
                chat_delta(content="lo"),
                chat_delta(finish_reason="length"),
                usage_event(7, 2),
                "[DONE]",
            ]
        )
    )
    chunks = list(backend.stream(HI))
    assert [c.text for c in chunks] == ["Hel", "lo", ""]
    assert (chunks[-1].finish_reason, chunks[-1].usage) == (
        "length",
        Usage(prompt_tokens=7, completion_tokens=2),
    )


def test_stream_asks_the_server_for_usage(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(events=[chat_delta(content="x", finish_reason="stop"), "[DONE]"]))
    list(backend.stream(HI))
    assert server.received[0].json["stream_options"] == {"include_usage": True}


def test_joined_stream_equals_the_whole_answer(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(
            events=[
                chat_delta(content="Hel"),
                chat_delta(content="lo", finish_reason="stop"),
                usage_event(5, 2),
                "[DONE]",
            ]
        ),
        Reply(body=chat_answer("Hello", usage=(5, 2))),
    )
    streamed = joined(backend.stream(HI))
    whole = backend.chat(HI)
    assert (streamed.text, streamed.finish_reason, streamed.usage) == (
        whole.text,
        whole.finish_reason,
        whole.usage,
    )


def test_text_prompt_streams_from_completions(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    piece = {"choices": [{"index": 0, "text": " wor", "finish_reason": None}]}
    last = {"choices": [{"index": 0, "text": "ld", "finish_reason": "length"}]}
    server.script(Reply(events=[piece, last, "[DONE]"]))
    assert joined(backend.stream("Hello")).text == " world"
    assert server.received[0].path == "/v1/completions"


def test_keep_alive_comments_are_skipped(backend: OpenAIBackend, server: ScriptedServer) -> None:
    first = '{"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "stop"}]}'
    server.script(Reply(raw_events=f": ping\n\ndata: {first}\n\n: ping\n\ndata: [DONE]\n\n"))
    assert joined(backend.stream(HI)).text == "ok"


def test_last_event_without_its_blank_line_is_read(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    last = '{"choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": "length"}]}'
    server.script(Reply(raw_events=f"data: {last}"))
    out = joined(backend.stream(HI))
    assert (out.text, out.finish_reason) == ("ok", "length")


def test_stream_answered_with_one_json_body_still_streams(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=chat_answer("whole")))  # a server that ignored stream=true
    chunks = list(backend.stream(HI))
    assert (chunks[0].text, chunks[-1].finish_reason) == ("whole", "stop")


def test_closing_a_stream_early_frees_the_connection(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    events = [chat_delta(content=str(i)) for i in range(50)] + [chat_delta(finish_reason="stop")]
    server.script(Reply(events=events), Reply(body=chat_answer("next")))
    stream = backend.stream(HI)
    assert next(iter(stream)).text == "0"
    stream.close()  # type: ignore[attr-defined]
    assert backend.chat(HI).text == "next"


# --- tool calls ---------------------------------------------------------------------------------


def test_tool_calls_of_a_whole_answer_are_exposed(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 2, "b": 3}'},
    }
    server.script(Reply(body=chat_answer(None, finish_reason="tool_calls", tool_calls=[call])))
    tools = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
    out = backend.chat(HI, tools=tools, tool_choice="auto")
    assert out.tool_calls == [ToolCall(id="call_1", name="add", arguments='{"a": 2, "b": 3}')]
    assert (out.finish_reason, out.text) == ("tool_calls", "")
    assert server.received[0].json["tools"] == tools


def test_streamed_tool_call_deltas_are_joined_by_index(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    def call(index: int, **fields: object) -> dict:
        return chat_delta(tool_calls=[{"index": index, **fields}])

    server.script(
        Reply(
            events=[
                call(0, id="call_a", type="function", function={"name": "add", "arguments": ""}),
                call(0, function={"arguments": '{"a": '}),
                call(1, id="call_b", type="function", function={"name": "neg", "arguments": ""}),
                call(0, function={"arguments": "1}"}),
                call(1, function={"arguments": '{"x": 4}'}),
                chat_delta(finish_reason="tool_calls"),
                usage_event(),
                "[DONE]",
            ]
        )
    )
    out = joined(backend.stream(HI, tools=[{"type": "function", "function": {"name": "add"}}]))
    assert out.tool_calls == [
        ToolCall(id="call_a", name="add", arguments='{"a": 1}'),
        ToolCall(id="call_b", name="neg", arguments='{"x": 4}'),
    ]
    assert out.finish_reason == "tool_calls"


def test_tool_calls_reported_with_stop_still_finish_as_tool_calls(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    call = {"function": {"name": "f", "arguments": {"q": 1}}}  # no id; arguments as an object
    server.script(Reply(body=chat_answer("", finish_reason="stop", tool_calls=[call])))
    out = backend.chat(HI)
    assert out.finish_reason == "tool_calls"
    assert out.tool_calls == [ToolCall(id="call_0", name="f", arguments='{"q": 1}')]


def test_response_format_is_sent(backend: OpenAIBackend, server: ScriptedServer) -> None:
    schema = {"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "object"}}}
    server.script(Reply(body=chat_answer("{}")))
    assert backend.chat(HI, response_format=schema).text == "{}"
    assert server.received[0].json["response_format"] == schema


# --- reasoning ----------------------------------------------------------------------------------


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_reasoning_of_a_whole_answer_is_exposed(
    backend: OpenAIBackend, server: ScriptedServer, field: str
) -> None:
    server.script(Reply(body=chat_answer("4", **{field: "2+2 is 4"})))
    out = backend.chat(HI)
    assert (out.text, out.reasoning) == ("4", "2+2 is 4")


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_streamed_reasoning_is_joined(
    backend: OpenAIBackend, server: ScriptedServer, field: str
) -> None:
    server.script(
        Reply(
            events=[
                chat_delta(**{field: "2+2"}),
                chat_delta(**{field: " is 4"}),
                chat_delta(content="4", finish_reason="stop"),
                "[DONE]",
            ]
        )
    )
    out = joined(backend.stream(HI))
    assert (out.text, out.reasoning) == ("4", "2+2 is 4")


# --- log-probabilities --------------------------------------------------------------------------


def test_streamed_chat_logprobs_arrive_with_their_text(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    def piece(token: str, logprob: float) -> dict:
        event = chat_delta(content=token)
        event["choices"][0]["logprobs"] = {
            "content": [{"token": token, "logprob": logprob, "top_logprobs": []}]
        }
        return event

    server.script(Reply(events=[piece("A", -0.5), piece("B", -1.5), chat_delta("stop"), "[DONE]"]))
    out = joined(backend.stream(HI, logprobs=0))
    assert [(t.token, t.logprob) for t in out.logprobs or []] == [("A", -0.5), ("B", -1.5)]


def test_completion_logprobs_are_exposed(backend: OpenAIBackend, server: ScriptedServer) -> None:
    answer = text_answer(" a")
    answer["choices"][0]["logprobs"] = {
        "tokens": [" a"],
        "token_logprobs": [-0.25],
        "top_logprobs": [{" a": -0.25, " b": -2.0}],
    }
    server.script(Reply(body=answer))
    [entry] = backend.generate("x", logprobs=2).logprobs or []
    assert (entry.token, entry.logprob, [t.token for t in entry.top]) == (" a", -0.25, [" a", " b"])


# --- async twins --------------------------------------------------------------------------------


def test_async_generate_reads_the_same_answer(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(Reply(body=text_answer(" async")))
    assert asyncio.run(backend.agenerate("x")).text == " async"


def test_async_stream_joins_tool_calls_and_usage(
    backend: OpenAIBackend, server: ScriptedServer
) -> None:
    server.script(
        Reply(
            events=[
                chat_delta(tool_calls=[{"index": 0, "id": "c", "function": {"name": "f"}}]),
                chat_delta(tool_calls=[{"index": 0, "function": {"arguments": "{}"}}]),
                chat_delta(finish_reason="tool_calls"),
                usage_event(3, 1),
                "[DONE]",
            ]
        )
    )

    async def consume() -> Completion:
        return Completion.from_chunks([c async for c in backend.astream(HI)])

    out = asyncio.run(consume())
    assert out.tool_calls == [ToolCall(id="c", name="f", arguments="{}")]
    assert out.usage == Usage(prompt_tokens=3, completion_tokens=1)


def test_backend_serves_several_event_loops(backend: OpenAIBackend, server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer("one")), Reply(body=chat_answer("two")))
    first = asyncio.run(backend.achat(HI)).text
    second = asyncio.run(backend.achat(HI)).text
    assert (first, second) == ("one", "two")


def test_async_context_manager_closes_the_pool(server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer("ok")))

    async def use() -> str:
        async with OpenAIBackend("m", base_url=server.url) as backend:
            return (await backend.achat(HI)).text

    assert asyncio.run(use()) == "ok"


def test_closing_leaves_a_callers_own_client_open(server: ScriptedServer) -> None:
    server.script(Reply(body=chat_answer("one")), Reply(body=chat_answer("two")))
    with httpx.Client(timeout=10) as mine:
        backend = OpenAIBackend("m", base_url=server.url, http_client=mine)
        assert backend.chat(HI).text == "one"
        backend.close()
        assert not mine.is_closed
        assert backend.chat(HI).text == "two"  # still through the caller's client
