"""What a client's ``response_format`` may ask of the server's constrained decoding.

Constrained decoding compiles the schema's regex into an automaton over the vocabulary.
That costs memory in proportion to the regex with its counted repetitions expanded
(``{"maxLength": 500}`` is 500 copies of a character): measured on the bundled model,
about 0.1 MB per position and a second per ten thousand. A client-supplied schema with
``"minLength": 100000`` once grew the server past 20 GB until the kernel killed it. So the
server refuses, with a 400 naming ``response_format``, a schema whose regex expands past
:data:`MAX_PATTERN_SIZE` positions.

The library refuses only compiles that would be unreasonably large for any caller
(:mod:`promptcraft.constraints.compile_limits`, about a gigabyte); a server compiles for
clients it does not control, on one preparing thread for all of them, so it draws a much
lower line here.

The schema's root must be an object, as in OpenAI's structured outputs, which is what
OpenAI clients expect of this endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..constraints.pattern_atoms import expanded_size
from .errors import APIError

__all__ = ["MAX_PATTERN_SIZE", "check_enforceable"]

MAX_PATTERN_SIZE = 4096


def check_enforceable(schema: Mapping[str, Any], pattern: str) -> None:
    """Raise an :class:`APIError` (400, ``response_format``) unless the server will compile
    ``schema`` (whose regex is ``pattern``) for constrained decoding."""
    kind = schema.get("type")
    if not (kind == "object" or (kind is None and "properties" in schema)):
        raise APIError(
            400,
            "the response_format json_schema must have an object at its root "
            '({"type": "object", "properties": {...}}), as in OpenAI\'s structured outputs; '
            "to get another value, make it a property of the object",
            param="response_format",
            code="invalid_value",
        )
    size = expanded_size(pattern, limit=MAX_PATTERN_SIZE)
    if size > MAX_PATTERN_SIZE:
        raise APIError(
            400,
            "the response_format schema is too large to enforce by constrained decoding: with "
            "its counts (maxLength, minLength, maxItems, minItems, {n} in a pattern) expanded "
            f"it has more than {MAX_PATTERN_SIZE} positions; lower those counts (nested "
            "counts multiply)",
            param="response_format",
            code="invalid_value",
        )
