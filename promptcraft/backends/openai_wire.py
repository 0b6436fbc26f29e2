"""The OpenAI wire format: a :class:`~.types.Request` as the JSON body of
``/v1/chat/completions`` or ``/v1/completions``, and an answer as a
:class:`~.types.Completion`.

Pure functions, no I/O: the sync and async clients share them, and so does the stream
assembler (:mod:`.openai_stream`). See :mod:`.openai` for the server quirks handled here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Literal

from ..errors import BackendError, InvalidRequestError
from ..types import (
    Completion,
    FinishReason,
    GenerationParams,
    Message,
    Request,
    TokenLogprob,
    ToolCall,
    TopLogprob,
    Usage,
)
from .http_errors import ErrorBody

__all__ = [
    "Endpoint",
    "TokenParam",
    "build_body",
    "endpoint_for",
    "finish_reason_of",
    "logprobs_of",
    "other_token_param",
    "parse_completion",
    "tool_calls_of",
    "usage_of",
]

Endpoint = Literal["chat", "completions"]
TokenParam = Literal["max_tokens", "max_completion_tokens"]

PATHS: dict[Endpoint, str] = {"chat": "/chat/completions", "completions": "/completions"}

# Sampling parameters outside OpenAI's API, sent under vLLM's names (which SGLang and
# llama.cpp's server read too, except llama.cpp's "repeat_penalty") when not at their default.
_EXTENSIONS = ("top_k", "min_p", "repetition_penalty", "min_tokens", "ignore_eos")

_FINISH_REASONS: dict[str, FinishReason] = {
    "stop": "stop",
    "length": "length",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "content_filter": "content_filter",
}


def endpoint_for(request: Request) -> Endpoint:
    """Chat messages go to ``/chat/completions``; a text prompt to ``/completions``, raw,
    with no chat template applied."""
    return "chat" if request.messages is not None else "completions"


def build_body(
    request: Request,
    model: str,
    *,
    stream: bool,
    token_param: TokenParam,
    official: bool,
) -> dict[str, Any]:
    """The JSON body of the request. ``official`` is True for api.openai.com, which rejects
    parameters outside its API (so they fail here, before any call) and whose defaults equal
    ours (so only what the caller set is sent)."""
    params = request.params
    body: dict[str, Any] = {"model": model}
    if request.messages is not None:
        body["messages"] = [_message_json(m) for m in request.messages]
    else:
        if request.tools is not None or request.tool_choice is not None:
            raise InvalidRequestError(
                "tools need a conversation: pass messages to chat() (or stream() with "
                "messages), not a text prompt to generate()",
                field="tools",
            )
        body["prompt"] = request.prompt
    # Chat servers default to "what the context leaves", so an unset limit is left to them (a
    # long prompt must not fail on our default); completion servers default to 16 tokens, so
    # our documented default is sent there.
    if request.messages is None or "max_tokens" in params.model_fields_set:
        body[token_param] = params.max_tokens
    body.update(_sampling(params, official=official))
    if params.stop:
        body["stop"] = list(params.stop)
    if params.seed is not None:
        body["seed"] = params.seed
    if params.logprobs is not None:
        if request.messages is not None:
            body["logprobs"] = True
            body["top_logprobs"] = params.logprobs
        else:
            body["logprobs"] = params.logprobs
    for name in ("tools", "tool_choice", "response_format"):
        value = getattr(request, name)
        if value is not None:
            body[name] = value
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    return body


def other_token_param(sent: TokenParam, error: ErrorBody) -> TokenParam | None:
    """The other name of the token limit when a 400 names it (OpenAI's newer models reject
    ``max_tokens`` with "use 'max_completion_tokens' instead"); else None."""
    other: TokenParam = "max_completion_tokens" if sent == "max_tokens" else "max_tokens"
    # "max_tokens" is inside "max_completion_tokens": match the whole word only.
    named = re.search(rf"(?<![A-Za-z_]){other}(?![A-Za-z_])", error.message)
    return other if error.param == other or named else None


def parse_completion(payload: Any, endpoint: Endpoint, *, model: str, url: str) -> Completion:
    """A non-streamed answer as a Completion."""
    choice = _first_choice(payload, url)
    if endpoint == "chat":
        message = choice.get("message") or {}
        text = message.get("content") or ""
        tool_calls = tool_calls_of(message.get("tool_calls"))
        reasoning = message.get("reasoning_content") or message.get("reasoning") or None
    else:
        text = choice.get("text") or ""
        tool_calls, reasoning = None, None
    return Completion(
        text=text,
        finish_reason=finish_reason_of(choice.get("finish_reason"), bool(tool_calls)),
        usage=usage_of(payload.get("usage")),
        logprobs=logprobs_of(choice.get("logprobs"), endpoint),
        model=payload.get("model") or model,
        tool_calls=tool_calls,
        reasoning=reasoning,
    )


def finish_reason_of(value: Any, has_tool_calls: bool) -> FinishReason:
    """Our finish reason for a server's. Tool calls win, since some servers say "stop" even
    when the model called tools; a missing or unknown reason ("eos", "abort") is "stop"."""
    if has_tool_calls:
        return "tool_calls"
    return _FINISH_REASONS.get(str(value), "stop")


def usage_of(usage: Any) -> Usage:
    """Token usage; zeros when the server reported none (a server that ignores
    ``stream_options``, say)."""
    if not isinstance(usage, Mapping):
        return Usage(prompt_tokens=0, completion_tokens=0)
    details = usage.get("prompt_tokens_details") or {}
    return Usage(
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_prompt_tokens=int(details.get("cached_tokens") or 0),
    )


def logprobs_of(logprobs: Any, endpoint: Endpoint) -> list[TokenLogprob] | None:
    """Per-token log-probabilities from either shape:

    - chat: ``{"content": [{"token", "logprob", "top_logprobs": [{"token", "logprob"}]}]}``;
    - completions: ``{"tokens": [...], "token_logprobs": [...], "top_logprobs": [{tok: lp}]}``.

    Servers report tokens as text, so ``token_id`` is None."""
    if not isinstance(logprobs, Mapping):
        return None
    if endpoint == "chat":
        return [
            TokenLogprob(
                token_id=None,
                token=entry["token"],
                logprob=float(entry["logprob"]),
                top=[
                    TopLogprob(token_id=None, token=top["token"], logprob=float(top["logprob"]))
                    for top in entry.get("top_logprobs") or ()
                ],
            )
            for entry in logprobs.get("content") or ()
        ]
    tokens = logprobs.get("tokens") or []
    values = logprobs.get("token_logprobs") or []
    tops = logprobs.get("top_logprobs") or [None] * len(tokens)
    out: list[TokenLogprob] = []
    for token, value, top in zip(tokens, values, tops, strict=False):
        if value is None:  # the first token of an echoed prompt has no log-probability
            continue
        alternatives = sorted((top or {}).items(), key=lambda kv: -kv[1])
        out.append(
            TokenLogprob(
                token_id=None,
                token=token,
                logprob=float(value),
                top=[
                    TopLogprob(token_id=None, token=t, logprob=float(lp)) for t, lp in alternatives
                ],
            )
        )
    return out


def tool_calls_of(calls: Any) -> list[ToolCall] | None:
    """Tool calls of a whole (non-streamed) message."""
    if not calls:
        return None
    out = []
    for i, call in enumerate(calls):
        function = call.get("function") or {}
        out.append(
            ToolCall(
                id=call.get("id") or f"call_{i}",
                name=function.get("name") or "",
                arguments=arguments_text(function.get("arguments")),
            )
        )
    return out


def arguments_text(arguments: Any) -> str:
    """Tool arguments as JSON text; some servers send an object instead of a string."""
    if arguments is None:
        return ""
    return arguments if isinstance(arguments, str) else json.dumps(arguments)


# --- helpers ----------------------------------------------------------------------------------


def _message_json(message: Message) -> dict[str, Any]:
    out: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.name is not None:
        out["name"] = message.name
    if message.tool_call_id is not None:
        out["tool_call_id"] = message.tool_call_id
    if message.tool_calls:
        out["tool_calls"] = [
            {"id": c.id, "type": c.type, "function": {"name": c.name, "arguments": c.arguments}}
            for c in message.tool_calls
        ]
    return out


def _sampling(params: GenerationParams, *, official: bool) -> dict[str, Any]:
    defaults = GenerationParams()
    extensions = {
        name: getattr(params, name)
        for name in _EXTENSIONS
        if getattr(params, name) != getattr(defaults, name)
    }
    if official:
        if extensions:
            names = ", ".join(sorted(extensions))
            raise InvalidRequestError(
                f"api.openai.com does not accept {names}: these parameters work on the local "
                "backend and on servers such as vLLM; leave them at their defaults here",
                field=sorted(extensions)[0],
            )
        return {
            name: getattr(params, name)
            for name in ("temperature", "top_p")
            if name in params.model_fields_set
        }
    # Other servers have other defaults (llama.cpp and Ollama sample at 0.8): send ours.
    return {"temperature": params.temperature, "top_p": params.top_p, **extensions}


def _first_choice(payload: Any, url: str) -> Mapping[str, Any]:
    choices = payload.get("choices") if isinstance(payload, Mapping) else None
    if not choices or not isinstance(choices[0], Mapping):
        raise BackendError(
            f"the server at {url} answered without a completion (no 'choices'): "
            f"{json.dumps(payload)[:300]}"
        )
    return choices[0]
