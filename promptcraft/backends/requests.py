"""Turn what a caller passed (a prompt or messages, parameters as a model, a dict or keyword
arguments) into one validated :class:`~.types.Request`, or one clear error naming the field.

Every backend goes through here, so a misspelt ``temprature`` fails the same way on the local
model and on a remote server, before any work starts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from ..coerce import MessagesLike, ParamsLike, coerce_messages, merge_params, message_of
from ..errors import InvalidRequestError
from ..types import Capabilities, Request

__all__ = ["REQUEST_OPTIONS", "build_request"]


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
            f"{field}: {message_of(error)} (got {error.get('input')!r})", field=field
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
    from ..constraints.constraints import Constraint  # here: structured sits above backends

    if not isinstance(constraint, Constraint):
        raise InvalidRequestError(
            "constraint must be built with promptcraft.structured's choices(), regex() or "
            f"json_schema(), not {type(constraint).__name__}",
            field="constraint",
        )
