"""Agents: typed tools, and a loop that lets a model call them until it can answer.

- :func:`tool` / :class:`Tool`: a typed Python function the model may call;
- :data:`calculator`, :func:`lookup`, :data:`today`: built-in tools, safe by construction;
- :class:`Agent`: the loop, over native tool calls, or the text (or chat) protocol of local
  models, each turn constrained to a well-formed call or an answer;
- :class:`ProtocolSettings`: a protocol chosen by hand (``Agent(protocol=...)``);
- :class:`AgentResult`, :class:`AgentStep` and the streamed events.

To test an agent without a model, give it a ``ScriptedBackend`` or ``FunctionBackend`` from
:mod:`promptcraft.backends.testing`, with :func:`action_line` for text-protocol replies
(examples in :mod:`.agent`).

Nothing here imports torch: an agent on a remote backend never loads the local decoder.
"""

from __future__ import annotations

from ..errors import AgentError, ToolError
from .agent import Agent
from .builtin_tools import calculator, lookup, today
from .protocol_choice import ProtocolSettings
from .records import (
    AgentEvent,
    AgentResult,
    AgentStep,
    FinalOutput,
    ModelText,
    RetryPrompt,
    StepStart,
    ToolCallEvent,
    ToolCallRecord,
    ToolResultEvent,
    ToolResultRecord,
)
from .text_protocol import action_line
from .tools import Tool, ToolArgumentsError, ToolTimeoutError, tool

__all__ = [
    "Agent",
    "AgentError",
    "AgentEvent",
    "AgentResult",
    "AgentStep",
    "FinalOutput",
    "ModelText",
    "ProtocolSettings",
    "RetryPrompt",
    "StepStart",
    "Tool",
    "ToolArgumentsError",
    "ToolCallEvent",
    "ToolCallRecord",
    "ToolError",
    "ToolResultEvent",
    "ToolResultRecord",
    "ToolTimeoutError",
    "action_line",
    "calculator",
    "lookup",
    "today",
    "tool",
]
