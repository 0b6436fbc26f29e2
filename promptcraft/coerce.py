"""What a caller passes to any generation call, made into validated records: messages from
:class:`~promptcraft.types.Message` objects or OpenAI-style mappings, and parameters merged
into one :class:`~promptcraft.types.GenerationParams`, or one error naming the field.

Backends, structured output and agents all take these shapes, so they are coerced in one place.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from .errors import InvalidRequestError
from .types import GenerationParams, Message
from .utils.suggestions import did_you_mean

__all__ = ["MessagesLike", "ParamsLike", "coerce_messages", "merge_params", "message_of"]

# A Message, or the OpenAI-style mapping {"role": ..., "content": ...}.
MessagesLike = Sequence[Message | Mapping[str, Any]]
ParamsLike = GenerationParams | Mapping[str, Any] | None


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
                f"{field}: {message_of(error)} (got {error.get('input')!r})", field=field
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
                f"generation parameter {name!r}: {message_of(error)} (got {error.get('input')!r})"
            )
        else:  # a check across fields, such as min_tokens <= max_tokens
            problems.append(f"generation parameters: {message_of(error)}")
    return InvalidRequestError("; ".join(problems), field=first_field)


def message_of(error: Any) -> str:
    return str(error["msg"]).removeprefix("Value error, ")
