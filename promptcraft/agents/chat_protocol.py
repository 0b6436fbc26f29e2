"""The chat protocol (``templates/react_agent.prompt``): the ReAct format as a conversation,
for chat models without native tool calls::

    system     You solve tasks by using tools. Available tools: ...
    user       Task: ...
    assistant  Thought: ...
               Action: calculator
               Action Input: {"expression": "12*3"}
    user       Observation: 36
    assistant  Thought: I know the answer
               Final Answer: 36

Worked demonstrations (:mod:`.demonstrations`) come first as earlier turns. When the backend
can constrain decoding, the whole turn follows :func:`~.turn_grammar.react_turn_pattern`.
A chat model's own template formats the messages, so observations arrive as user turns that
the model cannot confuse with its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..prompts import PromptLibrary, PromptTemplate
from ..types import Message
from .demonstrations import Demonstration, demonstrations_for
from .text_protocol import OBSERVATION_STOP, WrittenProtocol, tool_spec
from .tools import Tool
from .turn_grammar import ANSWER_TEXT, THOUGHT_PREFIX, react_turn_pattern
from .turns import ParsedCall, ProtocolName, Turn

if TYPE_CHECKING:
    from ..types import Completion

__all__ = ["REACT_TEMPLATE", "ChatProtocol", "read_react_turn"]

REACT_TEMPLATE = "react_agent"
FINAL_PREFIX = "Final Answer:"
NO_ACTION = 'write "Action: <tool>" and "Action Input: <JSON>", or "Final Answer: <answer>"'
_ACTION = re.compile(r"^Action:\s*(\S+)\s*\n\s*Action Input:\s*(.*)$", re.S)


class ChatProtocol(WrittenProtocol):
    """One run of the chat protocol; the settings are :class:`~.text_protocol.TextProtocol`'s."""

    name: ProtocolName = "chat"

    def __init__(
        self,
        tools: Sequence[Tool],
        task: str,
        *,
        template: PromptTemplate | None = None,
        instructions: str | None = None,
        demonstrations: bool = True,
        thoughts: bool = True,
        answer: str = ANSWER_TEXT,
    ):
        super().__init__(
            tools,
            task,
            template=template or PromptLibrary().get(REACT_TEMPLATE),
            instructions=instructions,
            thoughts=thoughts,
            answer=answer,
        )
        self.specs = [_react_spec(t) for t in self.tools]
        self.demonstrations = (
            [_react_demo(d) for d in demonstrations_for(self.tools, thoughts=thoughts)]
            if demonstrations
            else []
        )

    def prompt(self) -> list[Message]:
        inputs: dict[str, Any] = {"task": self.task, "tools": self.specs, "steps": self.steps}
        if self.demonstrations:
            inputs["demonstrations"] = self.demonstrations
        messages = self.template.render_messages(**inputs)
        if self.instructions:
            first = messages[0]
            if first.role == "system":
                content = f"{self.instructions.strip()}\n\n{first.content}"
                messages[0] = first.model_copy(update={"content": content})
            else:
                messages.insert(0, Message(role="system", content=self.instructions.strip()))
        return messages

    def _turn_pattern(self) -> str:
        return react_turn_pattern(
            self.tools, answer=self.answer, thoughts=self.thoughts, require_call=self.require_call
        )

    def parse(self, completion: Completion, step: int) -> Turn:
        return read_react_turn(completion.text, f"step_{step}")

    def _add(self, text: str, turn: Turn, observation: str) -> None:
        if turn.calls:
            call = turn.calls[0]
            action: str = call.name
            action_input: Any = call.arguments if call.arguments is not None else call.raw
        else:  # a reply that did not parse: shown as the model wrote it
            action, action_input = text.split(OBSERVATION_STOP, 1)[0].strip(), {}
        step: dict[str, Any] = {
            "action": action,
            "action_input": action_input,
            "observation": observation,
        }
        if turn.thought:
            step["thought"] = turn.thought
        self.steps.append(step)


def read_react_turn(text: str, call_id: str) -> Turn:
    """A ReAct turn: an optional thought, then an action and its input, or a final answer."""
    body = text.split(OBSERVATION_STOP, 1)[0].strip()
    thought = None
    if body.startswith(THOUGHT_PREFIX):
        first, _, body = body.partition("\n")
        thought = first[len(THOUGHT_PREFIX) :].strip()
        body = body.strip()
    if body.startswith(FINAL_PREFIX):
        return Turn(final=body[len(FINAL_PREFIX) :].strip(), thought=thought)
    match = _ACTION.match(body)
    if match is None:
        return Turn(malformed=NO_ACTION, thought=thought)
    name, raw = match.group(1), match.group(2).strip().split("\n", 1)[0].strip()
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = None
    arguments = value if isinstance(value, dict) else None
    problem = None if arguments is not None else "Action Input must be one JSON object"
    return Turn(calls=[ParsedCall(call_id, name, arguments, raw, problem)], thought=thought)


def _react_spec(tool: Tool) -> dict[str, Any]:
    spec = tool_spec(tool, show_choices=True)
    return {"name": spec["name"], "description": spec["description"], "parameters": spec["args"]}


def _react_demo(demo: Demonstration) -> dict[str, Any]:
    """A text-protocol demonstration in the ReAct shape."""
    steps = []
    for step in demo["steps"]:
        shown = {
            "action": step["action"]["tool"],
            "action_input": step["action"]["args"],
            "observation": step["observation"],
        }
        if "thought" in step:
            shown["thought"] = step["thought"]
        steps.append(shown)
    return {"task": demo["question"], "steps": steps, "answer": demo["answer"]}
