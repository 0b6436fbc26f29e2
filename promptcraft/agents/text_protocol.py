"""The text tool protocol (``templates/tool_protocol.prompt``), for local models without
native tool calls::

    Tools:
    calculator: evaluate an arithmetic expression. args: {"expression": "string"}
    Question: ...
    Thought: ...                      (optional)
    Action: {"tool": "calculator", "args": {"expression": "12*3"}}
    Observation: 36
    Answer: 36

Each turn the whole prompt is rendered again with the steps so far, so a local backend's
prefix cache reuses everything before the new step. The model writes one turn, an
``Action:`` (stopped at ``\\nObservation:``) or an ``Answer:``, optionally after a
``Thought:`` line. Errors are observations in the form pc-tiny was trained on
(``error: unknown tool 'calc'; use one of: ...``).

pc-tiny was trained on this protocol as it is. A model that was not (SmolLM2) gets worked
demonstrations before its question (:mod:`.demonstrations`), the allowed values of
enumerated arguments in the tool lines, and may think first; with its tool-use adapter
(``models/smollm2-tool-use``) it gets the tool lines alone, as the adapter was tuned. When
the backend can constrain decoding, the whole turn follows
:func:`~.turn_grammar.turn_pattern`. :class:`WrittenProtocol` is what this protocol shares
with the chat protocol (:mod:`.chat_protocol`).
"""

from __future__ import annotations

import json
import logging
from abc import abstractmethod
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..prompts import PromptLibrary, PromptTemplate
from ..types import Message
from .demonstrations import demonstrations_for
from .tools import Tool
from .turn_grammar import ANSWER_TEXT, THOUGHT_PREFIX, UnsupportedSchema, turn_pattern
from .turns import ParsedCall, ProtocolName, Turn, TurnProtocol

if TYPE_CHECKING:
    from ..types import Completion
    from .records import ToolResultRecord

__all__ = [
    "ACTION_PREFIX",
    "ANSWER_PREFIX",
    "OBSERVATION_STOP",
    "TOOL_PROTOCOL_TEMPLATE",
    "TextProtocol",
    "WrittenProtocol",
    "action_constraint",
    "action_line",
    "action_of",
    "action_pattern",
    "read_turn",
    "turn_lines",
]

TOOL_PROTOCOL_TEMPLATE = "tool_protocol"
ACTION_PREFIX = "Action:"
ANSWER_PREFIX = "Answer:"
OBSERVATION_STOP = "\nObservation:"
MALFORMED_ACTION = 'write the action as {"tool": name, "args": {...}}'
NO_ACTION = 'write one line: an Action, or "Answer: <answer>"'
#: Tokens for a turn with a thought line (the template's 64 fit an action alone).
THOUGHT_MAX_TOKENS = 128

log = logging.getLogger("promptcraft.agents")


def action_line(tool: str, /, **args: Any) -> str:
    """The line a model writes to call ``tool`` with ``args`` in this protocol, such as
    ``Action: {"tool": "calculator", "args": {"expression": "6*7"}}``: a reply for a
    ``ScriptedBackend`` that tests an agent on the text protocol."""
    return f"{ACTION_PREFIX} {json.dumps({'tool': tool, 'args': args})}"


class WrittenProtocol(TurnProtocol):
    """A protocol whose turns the model writes as text (the text and chat protocols): the
    template's generation defaults, the turn's grammar, and one step recorded per turn."""

    def __init__(
        self,
        tools: Sequence[Tool],
        task: str,
        *,
        template: PromptTemplate,
        instructions: str | None,
        thoughts: bool,
        answer: str,
    ):
        self.tools = list(tools)
        self.task = task
        self.template = template
        self.instructions = instructions
        self.thoughts = thoughts
        self.answer = answer
        self.steps: list[dict[str, Any]] = []

    def params(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """The template's defaults (greedy, short, stopped at the observation) under the
        caller's parameters; room for a thought line; the observation stop always kept."""
        merged = {**self.template.defaults, **overrides}
        if self.thoughts and "max_tokens" not in overrides:
            merged["max_tokens"] = max(int(merged.get("max_tokens", 0)), THOUGHT_MAX_TOKENS)
        stop = list(merged.get("stop") or [])
        if OBSERVATION_STOP not in stop:
            stop.append(OBSERVATION_STOP)
        merged["stop"] = stop
        return merged

    def constraint_pattern(self) -> str | None:
        try:
            return self._turn_pattern()
        except UnsupportedSchema as exc:
            log.warning("tool calls left unconstrained: %s", exc)
            return None

    def record(
        self, completion: Completion, turn: Turn, results: Sequence[ToolResultRecord]
    ) -> None:
        self._add(completion.text, turn, results[0].content)

    def feedback(self, completion: Completion, turn: Turn, message: str) -> None:
        self._add(completion.text, turn, message)

    @abstractmethod
    def _turn_pattern(self) -> str:
        """The turn's regular expression; raises :class:`UnsupportedSchema` when an
        argument's schema cannot be spelled."""

    @abstractmethod
    def _add(self, text: str, turn: Turn, observation: str) -> None:
        """Add the model's turn ``text`` and what it observed to ``steps``."""


class TextProtocol(WrittenProtocol):
    """One run of the text protocol: renders the prompt with the steps so far, reads the
    model's turn. ``demonstrations``: show worked runs first; ``thoughts``: let the model
    write a thought line first; ``choices``: list an enumerated argument's values (a
    lookup's keys) in its tool line; ``as_chat``: send the prompt as one user message (for a
    backend without text completion); ``answer``: the pattern an answer must match when
    decoding is constrained (one line of text by default)."""

    name: ProtocolName = "text"

    def __init__(
        self,
        tools: Sequence[Tool],
        task: str,
        *,
        template: PromptTemplate | None = None,
        instructions: str | None = None,
        demonstrations: bool = False,
        thoughts: bool = False,
        choices: bool = False,
        as_chat: bool = False,
        answer: str = ANSWER_TEXT,
    ):
        super().__init__(
            tools,
            task,
            template=template or PromptLibrary().get(TOOL_PROTOCOL_TEMPLATE),
            instructions=instructions,
            thoughts=thoughts,
            answer=answer,
        )
        self.as_chat = as_chat
        self.specs = [tool_spec(t, show_choices=choices) for t in self.tools]
        self.demonstrations = (
            demonstrations_for(self.tools, thoughts=thoughts) if demonstrations else []
        )

    def render(self) -> str:
        inputs: dict[str, Any] = {"question": self.task, "tools": self.specs, "steps": self.steps}
        if self.demonstrations:
            inputs["demonstrations"] = self.demonstrations
        text = self.template.render(**inputs)
        return f"{self.instructions.strip()}\n{text}" if self.instructions else text

    def prompt(self) -> str | list[Message]:
        text = self.render()
        return [Message(role="user", content=text)] if self.as_chat else text

    def _turn_pattern(self) -> str:
        return turn_pattern(
            self.tools, answer=self.answer, thoughts=self.thoughts, require_call=self.require_call
        )

    def parse(self, completion: Completion, step: int) -> Turn:
        return read_turn(completion.text, f"step_{step}")

    def _add(self, text: str, turn: Turn, observation: str) -> None:
        step: dict[str, Any] = {"action": action_of(text), "observation": observation}
        if turn.thought:
            step = {"thought": turn.thought, **step}
        self.steps.append(step)


def tool_spec(tool: Tool, *, show_choices: bool = False) -> dict[str, Any]:
    """A tool as the template lists it (``{name, description, args}``); with
    ``show_choices``, the description ends with the values an enumerated argument takes
    (a lookup's keys), so the model can pick one by its meaning."""
    spec = tool.protocol_spec()
    if show_choices:
        for name, prop in tool.parameters.get("properties", {}).items():
            if isinstance(prop, dict) and isinstance(prop.get("enum"), list):
                listed = ", ".join(json.dumps(v) for v in prop["enum"])
                spec["description"] = f"{spec['description']} ({name}: one of {listed})"
    return spec


def turn_lines(text: str) -> tuple[str | None, str]:
    """(the thought, or None; the first line after it), from the text before the stop."""
    lines = [line.strip() for line in text.split(OBSERVATION_STOP, 1)[0].strip().split("\n")]
    lines = [line for line in lines if line]
    thought = None
    if lines and lines[0].startswith(THOUGHT_PREFIX):
        thought = lines[0][len(THOUGHT_PREFIX) :].strip()
        lines = lines[1:]
    return thought, lines[0] if lines else ""


def read_turn(text: str, call_id: str) -> Turn:
    """A turn of the text protocol: an optional thought line, then an action, an answer,
    or neither (malformed)."""
    thought, line = turn_lines(text)
    if line.startswith(ANSWER_PREFIX):
        return Turn(final=line[len(ANSWER_PREFIX) :].strip(), thought=thought)
    if not line.startswith(ACTION_PREFIX):
        return Turn(malformed=NO_ACTION, thought=thought)
    body = line[len(ACTION_PREFIX) :].strip()
    try:
        action = json.loads(body)
    except json.JSONDecodeError:
        return Turn(malformed=MALFORMED_ACTION, thought=thought)
    if not (
        isinstance(action, dict)
        and set(action) == {"tool", "args"}
        and isinstance(action["tool"], str)
    ):
        return Turn(malformed=MALFORMED_ACTION, thought=thought)
    arguments = action["args"] if isinstance(action["args"], dict) else None
    problem = None if arguments is not None else "args must be a JSON object"
    call = ParsedCall(call_id, action["tool"], arguments, body, problem)
    return Turn(calls=[call], thought=thought)


def action_of(text: str) -> dict[str, Any] | str:
    """What a step shows as its action: the parsed call, or the model's raw line."""
    _, line = turn_lines(text)
    body = line[len(ACTION_PREFIX) :].strip() if line.startswith(ACTION_PREFIX) else line
    try:
        value = json.loads(body)
    except json.JSONDecodeError:
        return body
    return value if isinstance(value, dict) else body


# --- constrained decoding -------------------------------------------------------------------


def action_pattern(tools: Sequence[Tool], answer: str = ANSWER_TEXT) -> str | None:
    """The regular expression of pc-tiny's turn: one line, an action calling one of
    ``tools`` with every argument, in order, as ``json.dumps`` writes it, or ``Answer: ``
    and text matching ``answer``; only the answer when there are no tools. None when an
    argument's schema cannot be spelled (the turn is then left unconstrained)."""
    try:
        return turn_pattern(tools, answer=answer, thoughts=False)
    except UnsupportedSchema:
        return None


def action_constraint(
    tools: Sequence[Tool], output_schema: Mapping[str, Any] | None = None
) -> Any | None:
    """The constraint a local backend takes as ``constraint=`` for pc-tiny's turn (built
    by :mod:`promptcraft.constraints.constraints`), or None when it cannot be built. With an
    ``output_schema``, the answer too must be JSON valid under it."""
    answer = answer_pattern(output_schema)
    pattern = action_pattern(tools, answer) if answer is not None else None
    return constraint_of(pattern)


def answer_pattern(output_schema: Mapping[str, Any] | None) -> str | None:
    """The pattern of an answer: one line of text, or JSON valid under ``output_schema``;
    None when the schema cannot be written as a pattern."""
    if output_schema is None:
        return ANSWER_TEXT
    try:
        from ..constraints.constraints import json_schema
    except ImportError:  # pragma: no cover - structured output is part of the package
        return None
    try:
        return str(json_schema(dict(output_schema)).pattern)
    except ValueError as exc:  # ConstraintError is a ValueError too
        log.warning("the answer is left unconstrained: its schema has no pattern: %s", exc)
        return None


def constraint_of(pattern: str | None) -> Any | None:
    """``pattern`` as a ``regex`` constraint; None when it is None or does not build."""
    if pattern is None:
        return None
    try:
        from ..constraints.constraints import regex
    except ImportError:  # pragma: no cover
        return None
    try:
        return regex(pattern)
    except ValueError as exc:
        log.warning("tool calls left unconstrained: the turn pattern did not build: %s", exc)
        return None
