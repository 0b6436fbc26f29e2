"""What a protocol reads from one model turn, and the shape every protocol has.

Each protocol (native tool calls, the text protocol, the chat protocol) is a
:class:`TurnProtocol`: for one run it builds the next request, turns a completion into a
:class:`Turn` (tool calls to run, a final answer, or a reply that did not parse, with the
correction to send back) and records what the model was told. The agent loop acts on the
Turn and knows nothing of the wire.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from ..types import Completion, Message
    from .records import ToolResultRecord

__all__ = ["ParsedCall", "ProtocolName", "Turn", "TurnProtocol", "error_observation"]

#: ``native``: the API's own tool calls; ``text``: ``templates/tool_protocol.prompt`` as one
#: text prompt; ``chat``: ``templates/react_agent.prompt`` as a conversation.
ProtocolName = Literal["native", "text", "chat"]


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
    native ``final_result`` call), or ``malformed`` (the correction for the model).
    ``thought`` is the reasoning the model wrote before it, if any."""

    calls: list[ParsedCall] = field(default_factory=list)
    final: str | dict[str, Any] | None = None
    malformed: str | None = None
    thought: str | None = None


def error_observation(message: str) -> str:
    """An error as the model sees it (pc-tiny was trained on this form)."""
    return f"error: {message}"


class TurnProtocol(ABC):
    """One run's side of a protocol: it holds the conversation so far."""

    name: ProtocolName
    #: Set by the loop before each turn: the turn must call a tool, not answer (the agent's
    #: ``tool_choice="required"``, until a tool has been called).
    require_call: bool = False

    @abstractmethod
    def prompt(self) -> str | list[Message]:
        """The next request's prompt: text, or messages."""

    @abstractmethod
    def params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The generation parameters: the protocol's defaults under the caller's."""

    def options(self) -> dict[str, Any]:
        """Extra request options (``tools``, ``tool_choice``)."""
        return {}

    def constraint_pattern(self) -> str | None:
        """The regular expression a whole turn must match, for backends that constrain
        decoding; None when the turn is left free."""
        return None

    @abstractmethod
    def parse(self, completion: Completion, step: int) -> Turn:
        """What the model did in ``completion``, the reply of step ``step``."""

    @abstractmethod
    def record(
        self, completion: Completion, turn: Turn, results: Sequence[ToolResultRecord]
    ) -> None:
        """Add the model's turn and the results of its calls to the conversation."""

    @abstractmethod
    def feedback(self, completion: Completion, turn: Turn, message: str) -> None:
        """Add the model's turn and the correction ``message`` to the conversation."""
