"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..errors import AgentError as AgentError, ToolError as ToolError
from .agent import Agent as Agent
from .builtin_tools import calculator as calculator, lookup as lookup, today as today
from .protocol_choice import ProtocolSettings as ProtocolSettings
from .records import (
    AgentEvent as AgentEvent,
    AgentResult as AgentResult,
    AgentStep as AgentStep,
    FinalOutput as FinalOutput,
    ModelText as ModelText,
    RetryPrompt as RetryPrompt,
    StepStart as StepStart,
    ToolCallEvent as ToolCallEvent,
    ToolCallRecord as ToolCallRecord,
    ToolResultEvent as ToolResultEvent,
    ToolResultRecord as ToolResultRecord,
)
from .text_protocol import action_line as action_line
from .tools import (
    Tool as Tool,
    ToolArgumentsError as ToolArgumentsError,
    ToolTimeoutError as ToolTimeoutError,
    tool as tool,
)
