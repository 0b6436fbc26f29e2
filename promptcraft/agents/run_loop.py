"""The agent loop: one model turn per step, then the tools it called or its answer.

Each step asks the model once (streamed, so text deltas become events), lets the protocol
read the turn (a :class:`~.turns.TurnProtocol`: :mod:`.native_protocol`,
:mod:`.text_protocol` or :mod:`.chat_protocol`, chosen by :mod:`.protocol_choice`), runs
the calls concurrently, feeds results or corrections back, and checks the budgets. The loop is an
async generator of events: the public methods of :class:`~.agent.Agent` consume it.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import AsyncGenerator
from typing import TYPE_CHECKING, Any, NoReturn

from ..errors import AgentError, BackendError, ContextLengthError, InvalidRequestError
from ..types import Chunk, Completion, Usage
from .chat_protocol import ChatProtocol
from .native_protocol import NativeProtocol
from .protocol_choice import ProtocolSettings, choose_protocol
from .records import (
    ZERO_USAGE,
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
    add_usage,
)
from .text_protocol import TextProtocol, answer_pattern, constraint_of
from .tool_calls import execute_call
from .trace import TraceWriter
from .turn_grammar import ANSWER_TEXT
from .turns import ParsedCall, ProtocolName, Turn, TurnProtocol, error_observation

if TYPE_CHECKING:
    from .agent import Agent

__all__ = ["AgentRun"]

#: The correction for an answer before any tool call under ``tool_choice="required"``.
CALL_REQUIRED = "call one of the tools before you answer"


class AgentRun:
    """One run of an agent: the conversation or protocol steps, the budgets, the trace.
    :meth:`events` is the loop; the Agent's run, arun, stream and astream consume it."""

    def __init__(self, agent: Agent[Any], task: str):
        self.agent = agent
        self.task = task
        self.settings = choose_protocol(
            agent.backend, agent.protocol, native_refused=agent._native_refused
        )
        self.conversation: TurnProtocol = self._start(self.settings)
        self.steps: list[AgentStep] = []
        self.tool_failures: Counter[str] = Counter()
        self.output_failures = 0
        self.trace = TraceWriter(agent.trace, uuid.uuid4().hex[:12]) if agent.trace else None

    @property
    def protocol(self) -> ProtocolName:
        return self.conversation.name

    # --- the loop --------------------------------------------------------------------------

    async def events(self) -> AsyncGenerator[AgentEvent, None]:
        try:
            async for event in self._loop():
                yield event
        except AgentError:
            raise
        except Exception as exc:
            self._trace("run_error", reason=type(exc).__name__, message=str(exc))
            raise

    async def _loop(self) -> AsyncGenerator[AgentEvent, None]:
        self._trace(
            "run_start",
            task=self.task,
            model=self.agent.backend.model,
            protocol=self.protocol,
            tools=[t.openai_schema()["function"] for t in self.agent.tools.values()],
        )
        index = 0
        while index < self.agent.max_steps:
            index += 1
            step = AgentStep(index=index, protocol=self.protocol)
            yield StepStart(step=index, protocol=self.protocol)
            started = time.perf_counter()
            completion: Completion | None = None
            try:
                async for item in self._ask_model(step):
                    if isinstance(item, Completion):
                        completion = item
                    else:
                        yield item
            except ContextLengthError as exc:
                self._fail(
                    "context_length",
                    f"step {index}: the run no longer fits the model's context: {exc}",
                    cause=exc,
                )
            except InvalidRequestError as exc:
                if self.protocol == "native" and self.agent.protocol == "auto" and _refuses(exc):
                    self._trace("protocol_fallback", step=index, reason=str(exc))
                    self.agent._native_refused = True  # later runs start with the text protocol
                    self.settings = choose_protocol(self.agent.backend, "auto", native_refused=True)
                    self.conversation = self._start(self.settings)
                    index -= 1
                    continue
                self._fail("backend_error", f"step {index}: the model call failed: {exc}", exc)
            except BackendError as exc:  # the finished steps go with the error, not lost
                self._fail("backend_error", f"step {index}: the model call failed: {exc}", exc)
            assert completion is not None
            step.text = completion.text
            step.usage = completion.usage
            step.finish_reason = completion.finish_reason
            turn = self.conversation.parse(completion, index)
            if turn.final is not None and self.conversation.require_call:
                turn = Turn(malformed=CALL_REQUIRED, thought=turn.thought)
            if turn.calls:
                async for event in self._run_calls(step, turn, completion):
                    yield event
            else:
                output, feedback = self._check_final(turn)
                if feedback is None:
                    step.final = True
                    step.seconds = time.perf_counter() - started
                    self._finish_step(step)
                    result: AgentResult[Any] = AgentResult(
                        output=output, steps=self.steps, usage=self._usage()
                    )
                    self._trace("run_end", output=output, usage=result.usage)
                    yield FinalOutput(output=output, result=result)
                    return
                step.feedback = feedback
                self.conversation.feedback(completion, turn, feedback)
                yield RetryPrompt(step=index, message=feedback)
                self.output_failures += 1
            step.seconds = time.perf_counter() - started
            self._finish_step(step)
            self._check_budgets(step)
        self._fail(
            "max_steps",
            f"no answer after max_steps={self.agent.max_steps} steps; the last step "
            f"{_last_turn(self.steps[-1])}",
        )

    async def _ask_model(self, step: AgentStep) -> AsyncGenerator[ModelText | Completion, None]:
        """One model call, streamed: its text deltas, then the whole completion."""
        backend = self.agent.backend
        conversation = self.conversation
        conversation.require_call = self._must_call()
        prompt = conversation.prompt()
        params = conversation.params(self.agent.params)
        options = {**conversation.options(), **self._constraint_option()}
        chunks: list[Chunk] = []
        stream = backend.astream(prompt, params, **options)
        try:
            async for chunk in stream:
                chunks.append(chunk)
                if chunk.text:
                    yield ModelText(step=step.index, delta=chunk.text)
        finally:
            close = getattr(stream, "aclose", None)
            if close is not None:
                await close()
        yield Completion.from_chunks(chunks, model=backend.model)

    async def _run_calls(
        self, step: AgentStep, turn: Turn, completion: Completion
    ) -> AsyncGenerator[AgentEvent, None]:
        calls: list[ParsedCall] = turn.calls
        for call in calls:
            record = ToolCallRecord(
                id=call.id,
                name=call.name,
                arguments=call.arguments if call.arguments is not None else call.raw,
            )
            step.tool_calls.append(record)
            yield ToolCallEvent(step=step.index, call=record)
        tools = self.agent.tools
        results = await asyncio.gather(*(execute_call(tools, call) for call in calls))
        for result in results:
            step.tool_results.append(result)
            if not result.ok:
                self.tool_failures[result.name] += 1
            yield ToolResultEvent(step=step.index, result=result)
        self.conversation.record(completion, turn, results)

    def _check_final(self, turn: Turn) -> tuple[Any, str | None]:
        """(output, None) for a valid answer; (None, feedback) otherwise."""
        if turn.malformed is not None:
            return None, error_observation(turn.malformed)
        assert turn.final is not None
        if isinstance(turn.final, str) and not turn.final.strip():
            return None, error_observation("the reply was empty; call a tool or answer")
        try:
            return self.agent.output.validate(turn.final), None
        except ValueError as exc:
            return None, error_observation(str(exc))

    def _check_budgets(self, step: AgentStep) -> None:
        for result in step.tool_results:
            if result.ok:
                continue
            tool = self.agent.tools.get(result.name)
            budget = tool.retries if tool is not None and tool.retries is not None else None
            budget = self.agent.tool_retries if budget is None else budget
            if self.tool_failures[result.name] > budget:
                self._fail(
                    "tool_retries",
                    f"calls to tool {result.name!r} failed {self.tool_failures[result.name]} "
                    f"times (retry budget {budget}); the last said: {result.content[:200]}"
                    + _cut_short(step),
                )
        if self.output_failures > self.agent.output_retries:
            self._fail(
                "output_retries",
                f"the model's reply did not parse or validate {self.output_failures} times "
                f"(retry budget {self.agent.output_retries}); the last: {step.feedback}"
                + _cut_short(step),
            )

    # --- parts -----------------------------------------------------------------------------

    def _start(self, settings: ProtocolSettings) -> TurnProtocol:
        """A fresh conversation in the protocol ``settings`` name."""
        agent = self.agent
        tools = list(agent.tools.values())
        if settings.name == "native":
            return NativeProtocol(
                tools, self.task, instructions=agent.instructions, output_schema=agent.output.schema
            )
        hints = [agent.instructions, agent.output.instructions()]
        instructions = "\n".join(h for h in hints if h) or None
        # an answer schema with no pattern leaves the turn unconstrained (see below)
        answer = answer_pattern(agent.output.answer_schema) or ANSWER_TEXT
        if settings.name == "chat":
            return ChatProtocol(
                tools,
                self.task,
                instructions=instructions,
                demonstrations=settings.demonstrations,
                thoughts=settings.thoughts,
                answer=answer,
            )
        return TextProtocol(
            tools,
            self.task,
            template=agent.template,
            instructions=instructions,
            demonstrations=settings.demonstrations,
            thoughts=settings.thoughts,
            choices=settings.choices,
            as_chat=not agent.backend.capabilities.completion,
            answer=answer,
        )

    def _constraint_option(self) -> dict[str, Any]:
        """``constraint=`` for the whole turn, on backends that can constrain decoding;
        built once per agent and protocol (its tools do not change)."""
        agent = self.agent
        if not (agent.constrain and agent.backend.capabilities.constrained_decoding):
            return {}
        key = (self.settings, self.conversation.require_call)
        if key not in agent._constraints:
            pattern = self.conversation.constraint_pattern()
            if (
                agent.output.answer_schema is not None
                and answer_pattern(agent.output.answer_schema) is None
            ):
                pattern = None  # an answer that cannot be constrained: leave the turn free
            agent._constraints[key] = constraint_of(pattern)
        constraint = agent._constraints[key]
        return {"constraint": constraint} if constraint is not None else {}

    def _must_call(self) -> bool:
        """Whether this turn must call a tool: ``tool_choice="required"`` until a tool has
        been called once (then the model may answer, as the OpenAI Agents SDK resets its
        tool choice after a call, so that a run can end)."""
        agent = self.agent
        if agent.tool_choice != "required" or not agent.tools:
            return False
        return not any(step.tool_calls for step in self.steps)

    def _usage(self) -> Usage:
        total = ZERO_USAGE
        for step in self.steps:
            total = add_usage(total, step.usage)
        return total

    def _finish_step(self, step: AgentStep) -> None:
        self.steps.append(step)
        self._trace("step", **step.model_dump())

    def _fail(self, reason: str, message: str, cause: BaseException | None = None) -> NoReturn:
        usage = self._usage()
        self._trace("run_error", reason=reason, message=message, usage=usage)
        raise AgentError(message, reason=reason, steps=self.steps, usage=usage) from cause

    def _trace(self, event: str, **fields: Any) -> None:
        if self.trace is not None:
            self.trace.write(event, **fields)


def _last_turn(step: AgentStep) -> str:
    """What the model did last, for an error message: its calls, or its reply."""
    if step.tool_calls:
        calls = ", ".join(f"{c.name}({json.dumps(c.arguments)[:100]})" for c in step.tool_calls)
        return f"called {calls}"
    return f"replied {step.text[:200]!r}"


def _cut_short(step: AgentStep) -> str:
    """A hint when the step's reply was cut at ``max_tokens``: the likely cause."""
    if step.finish_reason != "length":
        return ""
    return (
        f"; the last reply was cut at max_tokens ({step.usage.completion_tokens} tokens): "
        "raise it with params={'max_tokens': ...}"
    )


def _refuses(exc: InvalidRequestError) -> bool:
    """A server's 400 saying it does not take ``tools`` (such as ``promptcraft serve``)."""
    return exc.field in ("tools", "tool_choice") or (
        exc.status == 400 and "tool" in str(exc).lower()
    )
