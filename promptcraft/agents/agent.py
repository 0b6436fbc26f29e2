"""``Agent``: a model that calls typed tools until it can answer.

::

    agent = pc.Agent(pc.load_backend(), tools=[pc.calculator])
    result = agent.run("A box holds 12 apples. Tom buys 3 boxes and eats 5. How many are left?")
    result.output, len(result.steps), result.usage

One loop (:meth:`Agent.astream`, an async generator of events) does the work; ``run``,
``arun`` and ``stream`` consume it. Each step asks the model once, then runs the tools it
called (concurrently) and feeds their results back, or validates its answer. The protocol
follows the backend (:mod:`.protocol_choice`): native tool calls when
``backend.capabilities.native_tool_calls`` (falling back to the text protocol if the server
refuses ``tools``); else the text protocol of ``templates/tool_protocol.prompt``, as pc-tiny
was trained on it, or, for another local model such as SmolLM2, with worked demonstrations
first. On a backend that can constrain decoding, the whole turn is constrained
(:mod:`.turn_grammar`): an action calling an offered tool with arguments that fit its
schema, or an answer. ``protocol="chat"`` speaks ``templates/react_agent.prompt`` as a
conversation instead.

Errors are observations, not crashes: an unknown tool, arguments that do not validate, a
tool that raises or times out, a reply that does not parse, an answer that does not fit
``output_type``: each goes back to the model, within ``tool_retries`` (per tool) and
``output_retries``. A spent budget, ``max_steps``, or a transcript grown past the model's
context ends the run with :class:`~promptcraft.errors.AgentError`, which carries every step.

Testing an agent without a model: :mod:`promptcraft.backends.testing` has
``ScriptedBackend`` (replies from a list, in order) and ``FunctionBackend`` (each reply
computed from the request), both recording every request in ``.requests``::

    from promptcraft.agents import action_line
    from promptcraft.backends.testing import FunctionBackend, ScriptedBackend, tool_call

    # native tool calls, as an OpenAI-compatible server makes them
    backend = ScriptedBackend([tool_call("calculator", expression="6*7"), "42"],
                              native_tool_calls=True)
    assert pc.Agent(backend, tools=[pc.calculator]).run("6 times 7?").output == "42"

    # the text protocol, as pc-tiny writes it (one line per step)
    backend = ScriptedBackend([action_line("calculator", expression="6*7"), "Answer: 42"])
    result = pc.Agent(backend, tools=[pc.calculator]).run("6 times 7?")
    assert result.steps[0].tool_results[0].content == "42"

    # a model that answers from the request: here, with the last observation it was shown
    def model(request):
        if "Observation:" not in request.prompt:
            return action_line("calculator", expression="6*7")
        return "Answer: " + request.prompt.rsplit("Observation: ", 1)[1].strip()

    assert pc.Agent(FunctionBackend(model), tools=[pc.calculator]).run("6*7?").output == "42"
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncGenerator, Iterable, Iterator, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar

from ..backends.base import Backend
from ..prompts import PromptTemplate
from ..types import GenerationParams
from .native_protocol import FINAL_RESULT_TOOL
from .output import OutputValidator
from .protocol_choice import ProtocolSettings
from .records import AgentEvent, AgentResult, FinalOutput
from .run_loop import AgentRun
from .sync_events import SyncEvents
from .tools import Tool

__all__ = ["Agent"]

OutputT = TypeVar("OutputT")
ProtocolChoice = Literal["auto", "native", "text", "chat"]
ToolChoice = Literal["auto", "required"]


class Agent(Generic[OutputT]):
    """A model, its tools, and the loop between them.

    - ``tools``: :class:`~.tools.Tool` objects (``@pc.tool`` functions, the built-ins);
    - ``instructions``: a system message (native, chat) or a line before the protocol (text);
    - ``output_type``: None for a text answer, or a pydantic model (any type pydantic
      validates) the answer must parse as;
    - ``max_steps``: model turns at most; ``tool_retries``: failed calls allowed per tool
      (a tool's own ``retries`` wins); ``output_retries``: unparseable or invalid replies;
    - ``protocol``: ``"auto"`` (from the backend: see :mod:`.protocol_choice`),
      ``"native"``, ``"text"`` or ``"chat"``, or a :class:`~.protocol_choice.ProtocolSettings`;
    - ``params``: generation parameters for every model call;
    - ``trace``: a path to append a JSONL trace to, secrets redacted;
    - ``template``: the text protocol's template (default: the bundled ``tool_protocol``);
    - ``constrain``: on backends that can, constrain each turn of the text and chat
      protocols to a well-formed call of an offered tool, or an answer;
    - ``tool_choice``: ``"auto"`` (the model calls tools or answers) or ``"required"``: the
      model calls a tool before it may answer (the first turn cannot be an answer; the OpenAI
      API's ``tool_choice="required"`` on native backends, the turn's grammar on local ones,
      a correction elsewhere). For tasks the model must not do in its head, such as
      arithmetic with a calculator.
    """

    def __init__(
        self,
        backend: Backend,
        tools: Sequence[Tool] = (),
        *,
        instructions: str | None = None,
        output_type: type[OutputT] | None = None,
        max_steps: int = 10,
        tool_retries: int = 2,
        output_retries: int = 2,
        protocol: ProtocolChoice | ProtocolSettings = "auto",
        params: GenerationParams | Mapping[str, Any] | None = None,
        trace: str | os.PathLike[str] | None = None,
        template: PromptTemplate | None = None,
        constrain: bool = True,
        tool_choice: ToolChoice = "auto",
    ):
        if max_steps < 1:
            raise ValueError(f"max_steps must be at least 1, not {max_steps}")
        if tool_retries < 0 or output_retries < 0:
            raise ValueError("tool_retries and output_retries must not be negative")
        if not isinstance(protocol, ProtocolSettings) and protocol not in (
            "auto",
            "native",
            "text",
            "chat",
        ):
            raise ValueError(
                f"protocol must be 'auto', 'native', 'text' or 'chat', not {protocol!r}"
            )
        if tool_choice not in ("auto", "required"):
            raise ValueError(f"tool_choice must be 'auto' or 'required', not {tool_choice!r}")
        if not (hasattr(backend, "astream") and hasattr(backend, "capabilities")):
            raise TypeError(
                f"backend must be a Backend, such as pc.load_backend(...), not {backend!r}"
            )
        self.backend = backend
        self.output = OutputValidator(output_type)
        self.tools: dict[str, Tool] = _tools_by_name(tools, typed_output=output_type is not None)
        self.instructions = instructions
        self.max_steps = max_steps
        self.tool_retries = tool_retries
        self.output_retries = output_retries
        self.protocol = protocol
        if isinstance(params, GenerationParams):
            self.params: dict[str, Any] = params.model_dump(exclude_unset=True)
        else:
            self.params = dict(params or {})
        self.trace = trace
        self.template = template
        self.constrain = constrain
        self.tool_choice = tool_choice
        # set when the server refused native tools: this agent's later runs skip the attempt
        self._native_refused = False
        # the turn constraint per protocol settings (None: the turn is left free)
        self._constraints: dict[Any, Any] = {}

    def __repr__(self) -> str:
        return f"Agent(backend={self.backend!r}, tools={list(self.tools)})"

    # --- public API ------------------------------------------------------------------------

    def run(self, task: str) -> AgentResult[OutputT]:
        """Run to the end: the output, every step, and the usage."""
        events = self._events(task)
        try:
            for event in events:
                if isinstance(event, FinalOutput):
                    return event.result
        finally:
            events.close(wait=True)  # nothing of the run outlives it
        raise AssertionError("the agent's event stream ended without a final output")

    async def arun(self, task: str) -> AgentResult[OutputT]:
        """:meth:`run` on the caller's event loop."""
        async for event in self.astream(task):
            if isinstance(event, FinalOutput):
                return event.result
        raise AssertionError("the agent's event stream ended without a final output")

    def stream(self, task: str) -> Iterator[AgentEvent]:
        """The run as events: StepStart, ModelText, ToolCallEvent, ToolResultEvent,
        RetryPrompt, and a last FinalOutput. The loop runs in a thread of its own, so this
        works inside a running event loop (a notebook) too. It runs no further than the
        events asked for: stop iterating (or ``close()`` the iterator) and the run stops."""
        return self._events(task)

    def _events(self, task: str) -> SyncEvents[AgentEvent]:
        return SyncEvents(self.astream(task), name="promptcraft-agent")

    def astream(self, task: str) -> AsyncGenerator[AgentEvent, None]:
        """:meth:`stream` as an async generator, on the caller's event loop."""
        if not isinstance(task, str) or not task.strip():
            raise ValueError("an agent's task is a non-empty string")
        return AgentRun(self, task).events()


def _tools_by_name(tools: Sequence[Tool], *, typed_output: bool) -> dict[str, Tool]:
    """The tools by name; a ``TypeError``/``ValueError`` for anything else, or a clash."""
    if isinstance(tools, Tool | str | Mapping) or not isinstance(tools, Iterable):
        shown = f"the tool {tools.name!r}" if isinstance(tools, Tool) else repr(tools)
        raise TypeError(f"tools is a list of tools, such as tools=[calculator], not {shown}")
    tools = list(tools)
    for t in tools:
        if not isinstance(t, Tool):
            raise TypeError(f"tools must be Tool objects (use @pc.tool), not {t!r}")
    names = [t.name for t in tools]
    duplicates = sorted(n for n, count in Counter(names).items() if count > 1)
    if duplicates:
        raise ValueError(
            f"two tools share the name {duplicates[0]!r}; rename one with @tool(name=...)"
        )
    if typed_output and FINAL_RESULT_TOOL in names:
        raise ValueError(
            f"the tool name {FINAL_RESULT_TOOL!r} is the agent's own for a typed output; "
            "rename the tool with @tool(name=...)"
        )
    return {t.name: t for t in tools}
