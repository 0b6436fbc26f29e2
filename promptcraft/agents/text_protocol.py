"""The text tool protocol (``templates/tool_protocol.prompt``), for models without native
tool calls, such as the bundled one::

    Tools:
    calculator: evaluate an arithmetic expression. args: {"expression": "string"}
    Question: ...
    Action: {"tool": "calculator", "args": {"expression": "12*3"}}
    Observation: 36
    Answer: 36

Each turn the whole prompt is rendered again with the steps so far, so a local backend's
prefix cache reuses everything before the new step. The model writes one line, an
``Action:`` (stopped at ``\\nObservation:``) or an ``Answer:``. Errors are observations in
the form the bundled model was trained on (``error: unknown tool 'calc'; use one of: ...``).

When the backend can constrain decoding, :func:`action_constraint` limits the line to a
well-formed action for one of the offered tools, or an answer.
"""

from __future__ import annotations

import importlib
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import PromptcraftError
from ..prompts import PromptLibrary, PromptTemplate
from .tools import Tool
from .turns import ParsedCall, Turn

__all__ = [
    "ACTION_PREFIX",
    "ANSWER_PREFIX",
    "OBSERVATION_STOP",
    "TOOL_PROTOCOL_TEMPLATE",
    "TextProtocol",
    "action_constraint",
    "action_line",
    "action_pattern",
]

TOOL_PROTOCOL_TEMPLATE = "tool_protocol"
ACTION_PREFIX = "Action:"
ANSWER_PREFIX = "Answer:"
OBSERVATION_STOP = "\nObservation:"
MALFORMED_ACTION = 'write the action as {"tool": name, "args": {...}}'
NO_ACTION = 'write one line: an Action, or "Answer: <answer>"'

log = logging.getLogger("promptcraft.agents")


def action_line(tool: str, /, **args: Any) -> str:
    """The line a model writes to call ``tool`` with ``args`` in this protocol, such as
    ``Action: {"tool": "calculator", "args": {"expression": "6*7"}}``: a reply for a
    ``ScriptedBackend`` that tests an agent on the text protocol."""
    return f"{ACTION_PREFIX} {json.dumps({'tool': tool, 'args': args})}"


class TextProtocol:
    """Renders the prompt for a run so far, and reads the model's line."""

    def __init__(
        self,
        tools: Sequence[Tool],
        *,
        template: PromptTemplate | None = None,
        instructions: str | None = None,
    ):
        self.tools = list(tools)
        self.template = template or PromptLibrary().get(TOOL_PROTOCOL_TEMPLATE)
        self.instructions = instructions
        self.specs = [t.protocol_spec() for t in self.tools]

    def prompt(self, task: str, steps: Sequence[Mapping[str, Any]]) -> str:
        text = self.template.render(question=task, tools=self.specs, steps=list(steps))
        return f"{self.instructions.strip()}\n{text}" if self.instructions else text

    def params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The template's defaults (greedy, short, stopped at the observation) under the
        caller's parameters; the observation stop string is always kept."""
        merged = {**self.template.defaults, **overrides}
        stop = list(merged.get("stop") or [])
        if OBSERVATION_STOP not in stop:
            stop.append(OBSERVATION_STOP)
        merged["stop"] = stop
        return merged

    def parse(self, text: str, call_id: str) -> Turn:
        """The first non-blank line: an action, an answer, or neither."""
        line = text.split(OBSERVATION_STOP, 1)[0].strip().split("\n", 1)[0].strip()
        if line.startswith(ANSWER_PREFIX):
            return Turn(final=line[len(ANSWER_PREFIX) :].strip())
        if not line.startswith(ACTION_PREFIX):
            return Turn(malformed=NO_ACTION)
        body = line[len(ACTION_PREFIX) :].strip()
        try:
            action = json.loads(body)
        except json.JSONDecodeError:
            return Turn(malformed=MALFORMED_ACTION)
        if not (
            isinstance(action, dict)
            and set(action) == {"tool", "args"}
            and isinstance(action["tool"], str)
        ):
            return Turn(malformed=MALFORMED_ACTION)
        arguments = action["args"] if isinstance(action["args"], dict) else None
        problem = None if arguments is not None else "args must be a JSON object"
        return Turn(calls=[ParsedCall(call_id, action["tool"], arguments, body, problem)])

    @staticmethod
    def action_of(text: str) -> dict[str, Any] | str:
        """What a step shows as its action: the parsed call, or the model's raw line."""
        line = text.split(OBSERVATION_STOP, 1)[0].strip().split("\n", 1)[0].strip()
        body = line[len(ACTION_PREFIX) :].strip() if line.startswith(ACTION_PREFIX) else line
        try:
            value = json.loads(body)
        except json.JSONDecodeError:
            return body
        return value if isinstance(value, dict) else body


# --- constrained decoding -------------------------------------------------------------------

_STRING = r'"(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])*"'
_INTEGER = r"-?(?:0|[1-9][0-9]{0,15})"
_VALUES = {
    "string": _STRING,
    "integer": _INTEGER,
    "number": _INTEGER + r"(?:\.[0-9]{1,10})?",
    "boolean": "(?:true|false)",
}
_ANSWER = r"[^\n]{1,300}"


def action_pattern(tools: Sequence[Tool], answer: str = _ANSWER) -> str | None:
    """A regular expression for one reply line: an action calling one of ``tools`` with
    every argument, in order, written as ``json.dumps`` writes it, or ``Answer: `` and text
    matching ``answer`` (one line, by default); only the answer when there are no tools.
    None when an argument's type is not a plain scalar (the reply is then left
    unconstrained)."""
    actions = []
    for tool in tools:
        parts = []
        for name, prop in tool.parameters.get("properties", {}).items():
            value = _value_pattern(prop)
            if value is None:
                return None
            parts.append(re.escape(json.dumps(name)) + ": " + value)
        args = r"\{" + ", ".join(parts) + r"\}"
        actions.append(r'\{"tool": ' + re.escape(json.dumps(tool.name)) + r', "args": ' + args)
    closed = "|".join(a + r"\}" for a in actions)
    # with no tool to call, only an answer is well-formed (not an empty "Action: ")
    action = f"Action: (?:{closed})|" if actions else ""
    # "\n?": the tokenizer may write the closing braces and the newline as one token ('"}}\n').
    return f"(?:{action}Answer: (?:{answer}))" + r"\n?"


def _value_pattern(prop: Mapping[str, Any]) -> str | None:
    if "enum" in prop:
        return "(?:" + "|".join(re.escape(json.dumps(v)) for v in prop["enum"]) + ")"
    kind = prop.get("type")
    return _VALUES.get(kind) if isinstance(kind, str) else None


def action_constraint(
    tools: Sequence[Tool], output_schema: Mapping[str, Any] | None = None
) -> Any | None:
    """The constraint a local backend takes as ``constraint=`` for the reply line (built by
    :mod:`promptcraft.structured.constraints`), or None when it cannot be built. With an
    ``output_schema``, the answer too must be JSON valid under it."""
    try:
        constraints = importlib.import_module("promptcraft.structured.constraints")
    except ImportError:
        return None
    try:
        answer = _ANSWER
        if output_schema is not None:
            answer = constraints.json_schema(dict(output_schema)).pattern
        pattern = action_pattern(tools, answer)
        if pattern is None:
            return None
        return constraints.regex(pattern)
    except (PromptcraftError, ValueError) as exc:
        log.warning("tool calls left unconstrained: the action pattern did not compile: %s", exc)
        return None
