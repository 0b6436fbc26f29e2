"""Turn what a caller passed (a prompt or messages, parameters as a model, a dict or keyword
arguments) into one validated :class:`~.types.Request`, or one clear error naming the field.

Every backend goes through here, so a misspelt ``temprature`` fails the same way on the local
model and on a remote server, before any work starts.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from ..errors import InvalidRequestError
from ..params import GenerationParams
from ..prompts.messages import Message
from ..suggestions import did_you_mean
from .types import Capabilities, Request

__all__ = [
    "REQUEST_OPTIONS",
    "MessagesLike",
    "ParamsLike",
    "build_request",
    "coerce_messages",
    "merge_params",
]

# A Message, or the OpenAI-style mapping {"role": ..., "content": ...}.
MessagesLike = Sequence[Message | Mapping[str, Any]]
ParamsLike = GenerationParams | Mapping[str, Any] | None

# Keyword arguments that are not sampling parameters but parts of the request, passed through
# to the backends whose capabilities include them.
REQUEST_OPTIONS = ("tools", "tool_choice", "response_format", "constraint")
# The capability each request option needs.
_NEEDS = {
    "tools": "native_tool_calls",
    "tool_choice": "native_tool_calls",
    "response_format": "response_format",
    "constraint": "constrained_decoding",
}


def build_request(
    prompt_or_messages: str | MessagesLike,
    params: ParamsLike,
    overrides: Mapping[str, Any],
    capabilities: Capabilities | None = None,
) -> Request:
    """A Request for a text prompt (``str``) or a conversation (a sequence of messages).

    ``params`` are the base parameters; keyword ``overrides`` win over them. The overrides
    ``tools``, ``tool_choice`` and ``response_format`` go to the request itself; with
    ``capabilities``, a backend that lacks them rejects them instead of ignoring them."""
    options = {k: v for k, v in overrides.items() if k in REQUEST_OPTIONS and v is not None}
    sampling = {k: v for k, v in overrides.items() if k not in REQUEST_OPTIONS}
    if capabilities is not None:
        _check_supported(options, capabilities)
    if "constraint" in options:
        _check_constraint(options["constraint"])
    merged = merge_params(params, sampling)
    try:
        if isinstance(prompt_or_messages, str):
            return Request(prompt=prompt_or_messages, params=merged, **options)
        messages = tuple(coerce_messages(prompt_or_messages))
        return Request(messages=messages, params=merged, **options)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = str(error["loc"][0]) if error["loc"] else None
        raise InvalidRequestError(
            f"{field}: {_message_of(error)} (got {error.get('input')!r})", field=field
        ) from None


def _check_supported(options: Mapping[str, Any], capabilities: Capabilities) -> None:
    for name in options:
        if not getattr(capabilities, _NEEDS[name]):
            raise InvalidRequestError(
                f"this backend does not support {name}= (its capabilities lack "
                f"{_NEEDS[name]}); use a backend that has it, or an agent or "
                "structured-output helper (pc.generate_structured) that works through the prompt",
                field=name,
            )


def _check_constraint(constraint: Any) -> None:
    from ..structured.constraints import Constraint  # here: structured sits above backends

    if not isinstance(constraint, Constraint):
        raise InvalidRequestError(
            "constraint must be built with promptcraft.structured's choices(), regex() or "
            f"json_schema(), not {type(constraint).__name__}",
            field="constraint",
        )


def merge_params(params: ParamsLike, overrides: Mapping[str, Any]) -> GenerationParams:
    """``params`` updated with ``overrides``, validated. Only the fields someone set are
    carried over, so backends can tell an explicit ``max_tokens`` from the default."""
    if isinstance(params, GenerationParams):
        if not overrides:
            return params
        base = params.model_dump(exclude_unset=True)
    elif params is None:
        base = {}
    elif isinstance(params, Mapping):
        base = dict(params)
    else:
        raise InvalidRequestError(
            f"params must be a GenerationParams or a mapping, not {type(params).__name__}",
            field="params",
        )
    try:
        return GenerationParams.model_validate({**base, **overrides})
    except ValidationError as exc:
        raise _params_error(exc) from None


def coerce_messages(messages: MessagesLike) -> list[Message]:
    """Messages from :class:`Message` objects or role/content mappings."""
    if isinstance(messages, (str, bytes)) or not isinstance(messages, Sequence):
        raise InvalidRequestError(
            f"messages must be a list of messages, not {type(messages).__name__}",
            field="messages",
        )
    if not messages:
        raise InvalidRequestError(
            "messages is empty: a chat needs one message at least", field="messages"
        )
    out: list[Message] = []
    for i, message in enumerate(messages):
        if isinstance(message, Message):
            out.append(message)
            continue
        try:
            out.append(Message.model_validate(message))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"])
            field = f"messages[{i}]" + (f".{where}" if where else "")
            raise InvalidRequestError(
                f"{field}: {_message_of(error)} (got {error.get('input')!r})", field=field
            ) from None
    return out


def _params_error(exc: ValidationError) -> InvalidRequestError:
    known = list(GenerationParams.model_fields)
    problems: list[str] = []
    first_field: str | None = None
    for error in exc.errors():
        name = ".".join(str(p) for p in error["loc"])
        if first_field is None and name:
            first_field = name.split(".")[0]
        if error["type"] == "extra_forbidden":
            hint = did_you_mean(name, known)
            hint = f" ({hint})" if hint else ""
            problems.append(
                f"unknown generation parameter {name!r}{hint}; known: {', '.join(known)}"
            )
        elif name:
            problems.append(
                f"generation parameter {name!r}: {_message_of(error)} (got {error.get('input')!r})"
            )
        else:  # a check across fields, such as min_tokens <= max_tokens
            problems.append(f"generation parameters: {_message_of(error)}")
    return InvalidRequestError("; ".join(problems), field=first_field)


def _message_of(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")
