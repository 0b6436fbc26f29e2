"""What a protocol reads from one model turn, and what it is told back.

Both protocols (native tool calls and the text protocol) turn a completion into a
:class:`Turn`: tool calls to run, a final answer, or a reply that did not parse (with the
correction to send back). The agent loop acts on the Turn and knows nothing of the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ParsedCall", "Turn", "error_observation"]


@dataclass
class ParsedCall:
    """One tool call. ``arguments`` is None when they did not parse; ``problem`` then says
    why, and ``raw`` holds what the model wrote."""

    id: str
    name: str
    arguments: dict[str, Any] | None
    raw: str
    problem: str | None = None


@dataclass
class Turn:
    """Exactly one of: ``calls`` to run, a ``final`` answer (text, or the arguments of the
    native ``final_result`` call), or ``malformed`` (the correction for the model)."""

    calls: list[ParsedCall] = field(default_factory=list)
    final: str | dict[str, Any] | None = None
    malformed: str | None = None


def error_observation(message: str) -> str:
    """An error as the model sees it (the bundled model was trained on this form)."""
    return f"error: {message}"
