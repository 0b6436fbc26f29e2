"""What an agent run produces: its steps, its result, and the events it streams.

All are pydantic models, so a run's trace can be written as JSON and read back.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ..types import Usage

__all__ = [
    "AgentEvent",
    "AgentResult",
    "AgentStep",
    "FinalOutput",
    "ModelText",
    "Protocol",
    "RetryPrompt",
    "StepStart",
    "ToolCallEvent",
    "ToolCallRecord",
    "ToolResultEvent",
    "ToolResultRecord",
    "add_usage",
]

Protocol = Literal["native", "text", "chat"]
OutputT = TypeVar("OutputT")

# Why a tool call produced no result: the kinds of error fed back to the model.
CallProblem = Literal["unknown_tool", "invalid_arguments", "tool_error", "timeout"]


def add_usage(a: Usage, b: Usage) -> Usage:
    return Usage(
        prompt_tokens=a.prompt_tokens + b.prompt_tokens,
        completion_tokens=a.completion_tokens + b.completion_tokens,
        cached_prompt_tokens=a.cached_prompt_tokens + b.cached_prompt_tokens,
    )


ZERO_USAGE = Usage(prompt_tokens=0, completion_tokens=0)


class ToolCallRecord(BaseModel):
    """A call the model asked for. ``arguments`` is the parsed JSON object, or the raw text
    when it did not parse."""

    id: str
    name: str
    arguments: dict[str, Any] | str


class ToolResultRecord(BaseModel):
    """What the model was told about a call: the tool's output, or ``error: ...``."""

    id: str
    name: str
    content: str
    ok: bool
    problem: CallProblem | None = None
    seconds: float = 0.0


class AgentStep(BaseModel):
    """One model turn and what followed it.

    ``text`` is what the model wrote; ``tool_calls`` and ``tool_results`` the calls it made
    and their observations; ``feedback`` the correction sent back when its output did not
    parse or validate; ``final`` is True on the step that produced the output."""

    index: int
    protocol: Protocol
    text: str = ""
    tool_calls: list[ToolCallRecord] = []
    tool_results: list[ToolResultRecord] = []
    feedback: str | None = None
    final: bool = False
    usage: Usage = ZERO_USAGE
    finish_reason: str | None = None
    seconds: float = 0.0


class AgentResult(BaseModel, Generic[OutputT]):
    """A finished run: the ``output`` (text, or an instance of the agent's ``output_type``),
    every step, and the tokens spent in total, retries included."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    output: OutputT
    steps: list[AgentStep]
    usage: Usage

    @property
    def tool_calls(self) -> list[ToolCallRecord]:
        return [call for step in self.steps for call in step.tool_calls]


# --- events -----------------------------------------------------------------------------------


class StepStart(BaseModel):
    kind: Literal["step_start"] = "step_start"
    step: int
    protocol: Protocol


class ModelText(BaseModel):
    """A piece of the model's text, as it is generated."""

    kind: Literal["model_text"] = "model_text"
    step: int
    delta: str


class ToolCallEvent(BaseModel):
    kind: Literal["tool_call"] = "tool_call"
    step: int
    call: ToolCallRecord


class ToolResultEvent(BaseModel):
    kind: Literal["tool_result"] = "tool_result"
    step: int
    result: ToolResultRecord


class RetryPrompt(BaseModel):
    """The model's output did not parse or validate; ``message`` is sent back to it."""

    kind: Literal["retry"] = "retry"
    step: int
    message: str


class FinalOutput(BaseModel):
    """The run's last event: its result."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kind: Literal["final_output"] = "final_output"
    output: Any
    result: AgentResult[Any]


AgentEvent = Annotated[
    StepStart | ModelText | ToolCallEvent | ToolResultEvent | RetryPrompt | FinalOutput,
    Field(discriminator="kind"),
]
