"""The OpenAI backend's pure parts: SSE parsing, the retry policy, error bodies and the
request and response mapping. No server: these are the rules both twins share."""

from __future__ import annotations

import email.utils
import time

import pytest

from promptcraft.backends.http_errors import error_for_status, parse_error_body
from promptcraft.backends.openai_wire import (
    build_body,
    finish_reason_of,
    logprobs_of,
    other_token_param,
    parse_completion,
)
from promptcraft.backends.requests import build_request
from promptcraft.backends.retry import RetryPolicy, retry_after_seconds
from promptcraft.backends.sse import ServerSentEvent, SSEDecoder
from promptcraft.errors import (
    AuthenticationError,
    BackendError,
    BackendUnavailableError,
    BadRequestError,
    ContextLengthError,
    ContextWindowExceededError,
    InvalidRequestError,
    RateLimitError,
)

URL = "http://server/v1/chat/completions"


def decode_all(lines: list[str]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [e for line in lines if (e := decoder.decode(line)) is not None]
    last = decoder.flush()
    return events + ([last] if last else [])


# --- server-sent events -----------------------------------------------------------------------


def test_sse_event_ends_at_a_blank_line() -> None:
    assert decode_all(['data: {"a": 1}', ""]) == [ServerSentEvent(data='{"a": 1}')]


def test_sse_data_lines_join_with_newlines() -> None:
    assert decode_all(["data: one", "data: two", ""])[0].data == "one\ntwo"


def test_sse_comments_are_ignored() -> None:
    assert decode_all([": keep-alive", "", "data: x", ""]) == [ServerSentEvent(data="x")]


def test_sse_event_name_is_kept() -> None:
    assert decode_all(["event: error", "data: {}", ""])[0].event == "error"


def test_sse_space_after_the_colon_is_optional() -> None:
    assert decode_all(["data:x", ""])[0].data == "x"


def test_sse_last_event_without_a_blank_line_is_flushed() -> None:
    assert decode_all(["data: [DONE]"]) == [ServerSentEvent(data="[DONE]")]


# --- retry policy -----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [408, 409, 429, 500, 502, 503, 504])
def test_transient_statuses_are_retried(status: int) -> None:
    assert RetryPolicy().should_retry_status(status, {})


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status: int) -> None:
    assert not RetryPolicy().should_retry_status(status, {})


def test_x_should_retry_header_overrides_the_status() -> None:
    policy = RetryPolicy()
    assert not policy.should_retry_status(503, {"x-should-retry": "false"})
    assert policy.should_retry_status(400, {"x-should-retry": "true"})


def test_backoff_starts_at_half_a_second_with_jitter() -> None:
    delays = [RetryPolicy().delay(0) for _ in range(50)]
    assert all(0.375 <= d <= 0.5 for d in delays)


def test_backoff_doubles_per_retry() -> None:
    assert all(0.75 <= RetryPolicy().delay(1) <= 1.0 for _ in range(20))


def test_backoff_is_capped_at_eight_seconds() -> None:
    assert all(6.0 <= RetryPolicy().delay(10) <= 8.0 for _ in range(20))


def test_retry_after_ms_wins_over_backoff() -> None:
    assert RetryPolicy().delay(0, {"retry-after-ms": "1500"}) == 1.5


def test_retry_after_seconds_is_honoured() -> None:
    assert RetryPolicy().delay(0, {"retry-after": "3"}) == 3.0


def test_retry_after_http_date_is_read() -> None:
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert retry_after_seconds({"retry-after": date}, now=now) == pytest.approx(30, abs=1)


def test_retry_after_above_a_minute_falls_back_to_backoff() -> None:
    assert RetryPolicy().delay(0, {"retry-after": "120"}) <= 0.5


def test_unreadable_retry_after_is_ignored() -> None:
    assert retry_after_seconds({"retry-after": "soon"}) is None


# --- error bodies -----------------------------------------------------------------------------


def test_nested_openai_error_body_is_read() -> None:
    body = {"error": {"message": "bad", "type": "invalid_request_error", "param": "n", "code": "x"}}
    error = parse_error_body(body)
    assert (error.message, error.type, error.param, error.code) == (
        "bad",
        "invalid_request_error",
        "n",
        "x",
    )


def test_flat_vllm_error_body_is_read() -> None:
    body = {"object": "error", "message": "no such model", "type": "NotFoundError", "code": 404}
    error = parse_error_body(body)
    assert (error.message, error.code, error.status_hint) == ("no such model", "404", 404)


def test_fastapi_detail_list_is_read() -> None:
    body = {"detail": [{"loc": ["body", "messages"], "msg": "field required"}]}
    assert parse_error_body(body).message == "body.messages: field required"


def test_plain_text_error_body_is_kept_short() -> None:
    assert parse_error_body(b"<html>" + b"x" * 1000).message.endswith("...")


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, AuthenticationError),
        (403, AuthenticationError),
        (429, RateLimitError),
        (400, BadRequestError),
        (404, BadRequestError),
        (422, BadRequestError),
        (500, BackendUnavailableError),
        (503, BackendUnavailableError),
    ],
)
def test_status_picks_the_error_class(status: int, kind: type[BackendError]) -> None:
    error = error_for_status(status, {"error": {"message": "no"}}, url=URL)
    assert type(error) is kind
    assert error.status == status


def test_context_length_code_gives_a_context_window_error() -> None:
    body = {"error": {"message": "too long", "code": "context_length_exceeded"}}
    error = error_for_status(400, body, url=URL)
    assert isinstance(error, ContextWindowExceededError)
    assert isinstance(error, ContextLengthError) and isinstance(error, BadRequestError)


def test_context_length_message_reports_the_limits() -> None:
    message = (
        "This model's maximum context length is 2048 tokens. However, you requested 2100 "
        "tokens (2000 in the messages, 100 in the completion)."
    )
    error = error_for_status(400, {"object": "error", "message": message, "code": 400}, url=URL)
    assert isinstance(error, ContextWindowExceededError)
    assert (error.max_context, error.prompt_tokens) == (2048, 2000)


def test_error_message_names_the_server_and_what_it_said() -> None:
    error = error_for_status(404, {"error": {"message": "model 'x' not found"}}, url=URL)
    assert str(error).startswith(f"the server at {URL} answered HTTP 404: model 'x' not found")


def test_secret_echoed_by_the_server_is_redacted() -> None:
    body = {"error": {"message": "Incorrect API key provided: sk-abc123456789"}}
    error = error_for_status(401, body, url=URL, secret="sk-abc123456789")
    assert "sk-abc123456789" not in str(error)
    assert "sk-abc123456789" not in (error.server_message or "")


# --- request bodies ---------------------------------------------------------------------------


def body_of(prompt_or_messages: object, official: bool = False, **params: object) -> dict:
    request = build_request(prompt_or_messages, None, params)  # type: ignore[arg-type]
    return build_body(request, "m", stream=False, token_param="max_tokens", official=official)


def test_text_prompt_is_sent_raw_as_prompt() -> None:
    body = body_of("Q: 2+2?\nA:", max_tokens=4)
    assert (body["prompt"], body["max_tokens"], "messages" in body) == ("Q: 2+2?\nA:", 4, False)


def test_messages_keep_name_and_tool_call_id() -> None:
    messages = [{"role": "tool", "content": "42", "name": "calc", "tool_call_id": "call_1"}]
    assert body_of(messages)["messages"] == [
        {"role": "tool", "content": "42", "name": "calc", "tool_call_id": "call_1"}
    ]


def test_other_servers_get_our_sampling_defaults_explicitly() -> None:
    body = body_of("hi")
    assert (body["temperature"], body["top_p"]) == (1.0, 1.0)


def test_openai_gets_only_the_sampling_parameters_that_were_set() -> None:
    body = body_of("hi", official=True, temperature=0.0)
    assert body["temperature"] == 0.0 and "top_p" not in body


def test_vllm_sampling_extensions_are_sent_when_set() -> None:
    body = body_of("hi", top_k=5, min_p=0.1, repetition_penalty=1.2)
    assert (body["top_k"], body["min_p"], body["repetition_penalty"]) == (5, 0.1, 1.2)
    assert "ignore_eos" not in body


def test_openai_rejects_sampling_extensions_before_any_call() -> None:
    with pytest.raises(InvalidRequestError, match=r"api\.openai\.com does not accept top_k"):
        body_of("hi", official=True, top_k=5)


def test_chat_logprobs_ask_for_top_logprobs() -> None:
    body = body_of([{"role": "user", "content": "hi"}], logprobs=3)
    assert (body["logprobs"], body["top_logprobs"]) == (True, 3)


def test_completion_logprobs_are_a_count() -> None:
    assert body_of("hi", logprobs=3)["logprobs"] == 3


def test_tools_pass_through_to_chat() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    body = body_of([{"role": "user", "content": "hi"}], tools=tools, tool_choice="auto")
    assert (body["tools"], body["tool_choice"]) == (tools, "auto")


def test_response_format_passes_through() -> None:
    body = body_of([{"role": "user", "content": "hi"}], response_format={"type": "json_object"})
    assert body["response_format"] == {"type": "json_object"}


def test_tools_with_a_text_prompt_are_an_error() -> None:
    with pytest.raises(InvalidRequestError, match="tools need a conversation"):
        body_of("hi", tools=[{"type": "function", "function": {"name": "f"}}])


def test_stream_asks_for_usage() -> None:
    request = build_request("hi", None, {})
    body = build_body(request, "m", stream=True, token_param="max_tokens", official=False)
    assert (body["stream"], body["stream_options"]) == (True, {"include_usage": True})


# --- max_tokens vs max_completion_tokens --------------------------------------------------------


def test_openai_hint_to_use_max_completion_tokens_switches_the_parameter() -> None:
    error = parse_error_body(
        {
            "error": {
                "message": "Unsupported parameter: 'max_tokens' is not supported with this "
                "model. Use 'max_completion_tokens' instead.",
                "param": "max_tokens",
            }
        }
    )
    assert other_token_param("max_tokens", error) == "max_completion_tokens"


def test_unknown_max_completion_tokens_switches_back_to_max_tokens() -> None:
    error = parse_error_body({"detail": "max_completion_tokens is unknown; send max_tokens"})
    assert other_token_param("max_completion_tokens", error) == "max_tokens"


def test_error_naming_only_the_sent_parameter_does_not_switch() -> None:
    error = parse_error_body({"error": {"message": "max_tokens must be at most 4096"}})
    assert other_token_param("max_tokens", error) is None


# --- responses --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("stop", "stop"),
        ("length", "length"),
        ("tool_calls", "tool_calls"),
        ("content_filter", "content_filter"),
        (None, "stop"),
        ("eos", "stop"),
    ],
)
def test_finish_reasons_map_to_ours(reason: str | None, expected: str) -> None:
    assert finish_reason_of(reason, has_tool_calls=False) == expected


def test_tool_calls_make_the_finish_reason_tool_calls() -> None:
    assert finish_reason_of("stop", has_tool_calls=True) == "tool_calls"


def test_chat_logprobs_shape_maps_to_token_logprobs() -> None:
    shape = {
        "content": [
            {
                "token": "Hi",
                "logprob": -0.1,
                "top_logprobs": [{"token": "Hi", "logprob": -0.1}, {"token": "Yo", "logprob": -2}],
            }
        ]
    }
    [entry] = logprobs_of(shape, "chat") or []
    assert (entry.token, entry.logprob, entry.token_id) == ("Hi", -0.1, None)
    assert [t.token for t in entry.top] == ["Hi", "Yo"]


def test_completion_logprobs_shape_maps_to_token_logprobs_sorted() -> None:
    shape = {
        "tokens": [" a", " b"],
        "token_logprobs": [-0.5, -1.0],
        "top_logprobs": [{" c": -3.0, " a": -0.5}, {" b": -1.0}],
    }
    entries = logprobs_of(shape, "completions") or []
    assert [(e.token, e.logprob) for e in entries] == [(" a", -0.5), (" b", -1.0)]
    assert [t.token for t in entries[0].top] == [" a", " c"]


def test_parsed_chat_answer_carries_tool_calls_and_reasoning() -> None:
    payload = {
        "model": "m",
        "choices": [
            {
                "message": {
                    "content": None,
                    "reasoning_content": "think",
                    "tool_calls": [
                        {"id": "c1", "function": {"name": "add", "arguments": '{"a": 1}'}}
                    ],
                },
                "finish_reason": "tool_calls",
            }
        ],
        "usage": {"prompt_tokens": 4, "completion_tokens": 3},
    }
    out = parse_completion(payload, "chat", model="m", url=URL)
    assert (out.text, out.reasoning, out.finish_reason) == ("", "think", "tool_calls")
    assert out.tool_calls is not None and out.tool_calls[0].parsed_arguments() == {"a": 1}


def test_answer_without_usage_reports_zero_tokens() -> None:
    payload = {"choices": [{"text": "x", "finish_reason": "stop"}]}
    usage = parse_completion(payload, "completions", model="m", url=URL).usage
    assert (usage.prompt_tokens, usage.completion_tokens) == (0, 0)


def test_answer_without_choices_is_an_error() -> None:
    with pytest.raises(BackendError, match="no 'choices'"):
        parse_completion({"object": "list"}, "chat", model="m", url=URL)


def test_chat_body_leaves_an_unset_token_limit_to_the_server() -> None:
    chat = build_request([{"role": "user", "content": "hi"}], None, {})
    completion = build_request("hi", None, {})
    options = {"stream": False, "token_param": "max_tokens", "official": False}
    assert "max_tokens" not in build_body(chat, "m", **options)  # type: ignore[arg-type]
    assert build_body(completion, "m", **options)["max_tokens"] == 256  # type: ignore[arg-type]
