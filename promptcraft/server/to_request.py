"""OpenAI request bodies → the backend's :class:`~promptcraft.types.Request`.

Fields this server cannot honour with the value given (``n=2``, ``echo``, a ``logit_bias``,
tools, ``store=true``, an image part) are refused with a 400 naming them, never silently
ignored. A JSON ``response_format`` (``json_object`` or ``json_schema``) is honoured by
constrained decoding, within :mod:`.constraint_limits`, on chat and (as vLLM does) on text
completions.
"""

from __future__ import annotations

from typing import Any

from ..backends.requests import build_request
from ..errors import ConstraintError, InvalidRequestError
from ..types import GenerationParams, Message, Request
from .constraint_limits import check_enforceable
from .errors import APIError, from_backend_error
from .schemas import ChatCompletionRequest, ChatMessageIn, CompletionRequest, ContentPart

__all__ = ["chat_request", "completion_request"]


def completion_request(body: CompletionRequest) -> Request:
    """The Request for ``POST /v1/completions``: one text prompt."""
    prompt = body.prompt
    if isinstance(prompt, list):
        if len(prompt) != 1 or not isinstance(prompt[0], str):
            raise APIError(
                400,
                "prompt must be one string (or a list holding one string): this server does "
                "not take token ids or several prompts per request; send one request per prompt",
                param="prompt",
                code="invalid_value",
            )
        prompt = prompt[0]
    assert isinstance(prompt, str)
    _refuse(
        bool(body.echo),
        "echo",
        "echo=true is not supported: the response holds the completion only",
    )
    _refuse(body.suffix is not None, "suffix", "suffix is not supported: this model only appends")
    _refuse(
        body.best_of not in (None, 1),
        "best_of",
        "best_of must be 1: this server returns one choice per request",
    )
    response_format = _response_format(body)
    params = _sampling(body, max_tokens=body.max_tokens, logprobs=body.logprobs)
    if response_format is not None:
        params["response_format"] = response_format
    return _build(prompt, params)


def chat_request(body: ChatCompletionRequest) -> Request:
    """The Request for ``POST /v1/chat/completions``: the conversation so far."""
    _refuse(
        bool(body.tools) or body.tool_choice not in (None, "none"),
        "tools",
        "tools are not supported by this server's chat API; describe the tools in the system "
        "message (promptcraft's agents do this for local models)",
    )
    _refuse(
        bool(body.store),
        "store",
        "store=true is not supported: this server keeps no completions; send store=false or "
        "leave it out",
    )
    _refuse(
        body.service_tier not in (None, "auto", "default"),
        "service_tier",
        f"service_tier {body.service_tier!r} is not offered: this server has one tier; send "
        "'auto' or 'default', or leave it out",
    )
    response_format = _response_format(body)
    _refuse(
        body.top_logprobs is not None and not body.logprobs,
        "top_logprobs",
        "top_logprobs needs logprobs=true",
    )
    if body.max_tokens is not None and body.max_completion_tokens is not None:
        _refuse(
            body.max_tokens != body.max_completion_tokens,
            "max_completion_tokens",
            "max_tokens and max_completion_tokens disagree; send one of them",
        )
    max_tokens = body.max_completion_tokens or body.max_tokens
    max_tokens_param = "max_completion_tokens" if body.max_completion_tokens else "max_tokens"
    logprobs = (body.top_logprobs or 0) if body.logprobs else None
    params = _sampling(
        body, max_tokens=max_tokens, logprobs=logprobs, max_tokens_param=max_tokens_param
    )
    if response_format is not None:
        params["response_format"] = response_format
    messages = [_message(i, m) for i, m in enumerate(body.messages)]
    return _build(messages, params)


def _response_format(body: CompletionRequest | ChatCompletionRequest) -> dict[str, Any] | None:
    """A JSON ``response_format``, checked here so that a bad schema, or one too costly to
    enforce (:mod:`.constraint_limits`), is a 400 naming it; the local backend then
    constrains decoding to it (so the reply always parses)."""
    if body.response_format is None or body.response_format.type == "text":
        return None
    from ..constraints.constraints import JsonSchema, constraint_from_response_format

    value = body.response_format.model_dump(exclude_none=True)
    try:
        constraint = constraint_from_response_format(value)
        if isinstance(constraint, JsonSchema):
            # compiles the schema to a regex, or raises
            check_enforceable(constraint.schema, constraint.pattern)
    except ConstraintError as exc:
        raise APIError(400, str(exc), param="response_format", code="invalid_value") from None
    return value


def _sampling(
    body: CompletionRequest | ChatCompletionRequest,
    *,
    max_tokens: int | None,
    logprobs: int | None,
    max_tokens_param: str = "max_tokens",
) -> dict[str, Any]:
    _refuse(
        body.n not in (None, 1),
        "n",
        f"n must be 1 (got {body.n}): this server returns one choice per request; send "
        "several requests (with different seeds) for several completions",
    )
    for name in ("presence_penalty", "frequency_penalty"):
        value = getattr(body, name)
        _refuse(
            value not in (None, 0.0),
            name,
            f"{name} is not supported (only 0); use repetition_penalty (above 1 discourages "
            "repeats)",
        )
    _refuse(bool(body.logit_bias), "logit_bias", "logit_bias is not supported")
    _check_min_tokens(body.min_tokens, max_tokens, max_tokens_param)
    top_k = body.top_k if body.top_k not in (-1, 0) else None
    candidates = {
        "max_tokens": max_tokens,
        "temperature": body.temperature,
        "top_p": body.top_p,
        "stop": body.stop,
        "seed": body.seed,
        "logprobs": logprobs,
        "top_k": top_k,
        "min_p": body.min_p,
        "repetition_penalty": body.repetition_penalty,
        "min_tokens": body.min_tokens,
        "ignore_eos": body.ignore_eos,
    }
    # Only what the client set: the backend fits an unset max_tokens to the context.
    return {k: v for k, v in candidates.items() if v is not None}


def _check_min_tokens(
    min_tokens: int | None, max_tokens: int | None, max_tokens_param: str
) -> None:
    """``min_tokens`` above the limit of the output is a 400 naming it (the backend would
    refuse it too, without naming a field)."""
    if not min_tokens:
        return
    if max_tokens is not None:
        limit = f"{max_tokens_param} ({max_tokens})"
    else:
        max_tokens = GenerationParams.model_fields["max_tokens"].get_default()
        limit = f"the default max_tokens ({max_tokens}); set {max_tokens_param} to allow more"
    if min_tokens > max_tokens:
        raise APIError(
            400,
            f"min_tokens ({min_tokens}) must not exceed {limit}",
            param="min_tokens",
            code="invalid_value",
        )


def _message(index: int, message: ChatMessageIn) -> Message:
    if message.tool_calls:
        raise APIError(
            400,
            "tool calls are not supported by this server's chat API, so a conversation cannot "
            "carry them; give the calls and their results as text",
            param=f"messages[{index}].tool_calls",
            code="unsupported_value",
        )
    content = message.content
    if isinstance(content, list):
        content = "".join(_part_text(index, i, part) for i, part in enumerate(content))
    role = "system" if message.role == "developer" else message.role
    try:
        return Message(
            role=role,
            content=content or "",
            name=message.name,
            tool_call_id=message.tool_call_id,
        )
    except ValueError as exc:  # pragma: no cover - the schema admits only valid fields
        raise APIError(400, str(exc), param=f"messages[{index}]") from None


def _part_text(message: int, index: int, part: ContentPart) -> str:
    where = f"messages[{message}].content[{index}]"
    if part.type != "text":
        raise APIError(
            400,
            f"content parts of type {part.type!r} are not supported: this model reads text "
            "only; send the content as a string or as parts of type 'text'",
            param=f"{where}.type",
            code="unsupported_value",
        )
    if part.text is None:
        raise APIError(
            400,
            f"a content part of type 'text' needs its 'text' (a string) at {where}",
            param=f"{where}.text",
            code="missing_required_parameter",
        )
    return part.text


def _build(prompt_or_messages: str | list[Message], params: dict[str, Any]) -> Request:
    try:
        return build_request(prompt_or_messages, None, params)
    except InvalidRequestError as exc:
        raise from_backend_error(exc, param="prompt") from None


def _refuse(condition: bool, param: str, message: str) -> None:
    if condition:
        raise APIError(400, message, param=param, code="unsupported_value")
