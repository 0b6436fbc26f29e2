"""Native tool calls (OpenAI-compatible chat APIs): the tools go in the request's ``tools``,
the model answers with ``tool_calls``, and each result goes back as a ``"tool"`` message.

With an ``output_type``, a ``final_result`` tool whose parameters are the output's schema is
offered too, as pydantic-ai does: calling it ends the run with validated arguments. A tool
call written as plain text (see :mod:`.recover`) is recovered and run; its results go back
as a user message, since the model did not use the API's calls. A ``final_result`` call
written as text ends the run like a native one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..types import Completion, Message, ToolCall
from .recover import recover_tool_calls
from .tools import Tool
from .turns import ParsedCall, ProtocolName, Turn, TurnProtocol

if TYPE_CHECKING:
    from .records import ToolResultRecord

__all__ = ["FINAL_RESULT_TOOL", "NativeProtocol"]

FINAL_RESULT_TOOL = "final_result"


class NativeProtocol(TurnProtocol):
    """One run's conversation and ``tools`` list; reads the model's calls."""

    name: ProtocolName = "native"

    def __init__(
        self,
        tools: Sequence[Tool],
        task: str,
        *,
        instructions: str | None,
        output_schema: dict[str, Any] | None,
    ):
        self.tools = list(tools)
        self.task = task
        self.instructions = instructions
        self.output_schema = output_schema
        self.tool_schemas = [t.openai_schema() for t in self.tools]
        if output_schema is not None:
            self.tool_schemas.append(
                {
                    "type": "function",
                    "function": {
                        "name": FINAL_RESULT_TOOL,
                        "description": "Give the final result; call it once you know it.",
                        "parameters": output_schema,
                    },
                }
            )

        self.messages: list[Message] = []
        if self.instructions:
            self.messages.append(Message(role="system", content=self.instructions))
        self.messages.append(Message(role="user", content=task))

    def prompt(self) -> list[Message]:
        return list(self.messages)

    def params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        return dict(overrides)

    def options(self) -> dict[str, Any]:
        if not self.tool_schemas:
            return {}
        return {"tools": self.tool_schemas, "tool_choice": _tool_choice(self.require_call)}

    def parse(self, completion: Completion, step: int) -> Turn:
        if completion.tool_calls:
            final = next((c for c in completion.tool_calls if c.name == FINAL_RESULT_TOOL), None)
            if final is not None and self.output_schema is not None:
                try:
                    return Turn(final=final.parsed_arguments())
                except ValueError as exc:
                    return Turn(malformed=f"{exc}; call {FINAL_RESULT_TOOL} with a JSON object")
            return Turn(calls=[_parsed(c) for c in completion.tool_calls])
        names = [t.name for t in self.tools]
        if self.output_schema is not None:
            names.append(FINAL_RESULT_TOOL)
        recovered = recover_tool_calls(completion.text, names)
        finals = [args for name, args, _ in recovered if name == FINAL_RESULT_TOOL]
        if finals and self.output_schema is not None:
            if finals[0] is None:
                return Turn(malformed=f"call {FINAL_RESULT_TOOL} with a JSON object")
            return Turn(final=finals[0])
        if recovered:
            return Turn(
                calls=[
                    ParsedCall(
                        f"text_{step}_{i}",
                        name,
                        arguments,
                        raw,
                        None if arguments is not None else "arguments are not a JSON object",
                    )
                    for i, (name, arguments, raw) in enumerate(recovered)
                ]
            )
        return Turn(final=completion.text)

    def record(
        self, completion: Completion, turn: Turn, results: Sequence[ToolResultRecord]
    ) -> None:
        """Append the model's turn and the results of its calls."""
        messages = self.messages
        messages.append(_assistant_turn(completion))
        if completion.tool_calls:
            messages.extend(
                Message(role="tool", content=r.content, tool_call_id=r.id) for r in results
            )
        else:  # calls recovered from text: answered as text
            lines = [f"Observation: {r.content}" for r in results]
            messages.append(Message(role="user", content="\n".join(lines)))

    def feedback(self, completion: Completion, turn: Turn, message: str) -> None:
        """Tell the model its output did not parse or validate."""
        messages = self.messages
        messages.append(_assistant_turn(completion))
        if completion.tool_calls:
            messages.extend(
                Message(role="tool", content=message, tool_call_id=c.id)
                for c in completion.tool_calls
            )
        else:
            messages.append(Message(role="user", content=message))


def _assistant_turn(completion: Completion) -> Message:
    """The model's turn as a message: its native tool calls, if any, go with it."""
    if completion.tool_calls:
        return Message(
            role="assistant", content=completion.text, tool_calls=tuple(completion.tool_calls)
        )
    return Message(role="assistant", content=completion.text)


def _parsed(call: ToolCall) -> ParsedCall:
    try:
        arguments = call.parsed_arguments()
    except ValueError as exc:
        return ParsedCall(call.id, call.name, None, call.arguments, str(exc))
    return ParsedCall(call.id, call.name, arguments, call.arguments)


def _tool_choice(require_call: bool) -> str:
    return "required" if require_call else "auto"
