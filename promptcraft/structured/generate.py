"""``generate_structured``: a typed value from any backend, validated, with retries.

The strategy follows the backend's capabilities:

- ``constrained``: the backend constrains decoding (the local model), so the output matches
  the choices, regex or JSON schema by construction;
- ``response_format``: the server accepts an OpenAI ``response_format`` json_schema;
- ``prompted``: the constraint's instructions go into the prompt, and the answer is parsed
  leniently (code fences and surrounding prose are tolerated).

Whatever the strategy, the output is parsed and validated (a pydantic model may check more
than its JSON schema says). An invalid output is fed back to the model with the validation
message, as instructor does, until ``retries`` run out; then :class:`StructuredOutputError`
carries every raw output and message. The usage counts every attempt. The sync and async
functions share one implementation (:class:`_Session`); only the backend call differs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

from pydantic import BaseModel, ConfigDict

from ..errors import BadRequestError, StructuredOutputError
from ..generation_types import Usage
from ..prompts.messages import Message
from .constraints import Constraint, JsonSchema, as_constraint, constraint_from_output

if TYPE_CHECKING:
    from ..backends.base import Backend
    from ..backends.requests import MessagesLike, ParamsLike
    from ..backends.types import Completion
    from ..prompts.template import PromptTemplate

__all__ = [
    "Attempt",
    "StructuredResult",
    "agenerate_structured",
    "agenerate_structured_result",
    "generate_structured",
    "generate_structured_result",
]

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
Strategy = Literal["constrained", "response_format", "prompted"]
SchemaLike = type[BaseModel] | Mapping[str, Any] | Constraint | Sequence[str]


class Attempt(BaseModel):
    """One try: the raw output, why it was rejected (``None`` for the accepted one) and its
    tokens."""

    model_config = ConfigDict(frozen=True)

    text: str
    error: str | None
    usage: Usage


class StructuredResult(BaseModel, Generic[T]):
    """The parsed ``output``, every ``attempt`` (the last one valid), the ``usage`` of all
    of them together, and the ``strategy`` used."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    output: T
    attempts: list[Attempt]
    usage: Usage
    strategy: Strategy


@overload
def generate_structured(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: type[M],
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> M: ...


@overload
def generate_structured(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: Mapping[str, Any] | Constraint | Sequence[str] | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> Any: ...


def generate_structured(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> Any:
    """Generate on ``backend`` and return the output parsed as ``schema``: a pydantic model
    class (returns an instance), a JSON schema dict (returns the JSON value), a list of
    choices or a ``choices``/``regex``/``json_schema`` constraint (returns the string/value).

    ``prompt`` is a text prompt, a list of messages, or a template (rendered with
    ``inputs``; its ``output:`` is the default schema and its ``defaults`` the default
    parameters). ``retries``: how many times an invalid output is fed back before
    :class:`~promptcraft.errors.StructuredOutputError`. Other keywords are generation
    parameters. An invalid schema raises :class:`~promptcraft.errors.ConstraintError` before
    anything is generated."""
    return generate_structured_result(
        backend, prompt, schema, inputs=inputs, retries=retries, params=params, **overrides
    ).output


def generate_structured_result(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> StructuredResult[Any]:
    """:func:`generate_structured`, returning the attempts and the usage too."""
    session = _Session(backend, prompt, schema, inputs, retries, params, overrides)
    while True:
        target, options = session.next_call()
        try:
            if isinstance(target, str):
                completion = backend.generate(target, **options)
            else:
                completion = backend.chat(target, **options)
        except BadRequestError as exc:
            session.fall_back(exc)
            continue
        if session.record(completion):
            return session.result()


async def agenerate_structured(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> Any:
    """:func:`generate_structured` without blocking the event loop."""
    result = await agenerate_structured_result(
        backend, prompt, schema, inputs=inputs, retries=retries, params=params, **overrides
    )
    return result.output


async def agenerate_structured_result(
    backend: Backend,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> StructuredResult[Any]:
    """:func:`generate_structured_result` without blocking the event loop."""
    session = _Session(backend, prompt, schema, inputs, retries, params, overrides)
    while True:
        target, options = session.next_call()
        try:
            if isinstance(target, str):
                completion = await backend.agenerate(target, **options)
            else:
                completion = await backend.achat(target, **options)
        except BadRequestError as exc:
            session.fall_back(exc)
            continue
        if session.record(completion):
            return session.result()


# --- the one implementation ----------------------------------------------------------------------


class _Session:
    """The state of one structured generation: the conversation so far, the attempts, and
    the strategy (which may fall back from response_format to prompted once)."""

    def __init__(
        self,
        backend: Backend,
        prompt: str | MessagesLike | PromptTemplate,
        schema: SchemaLike | None,
        inputs: Mapping[str, Any] | None,
        retries: int,
        params: ParamsLike,
        overrides: Mapping[str, Any],
    ):
        from ..backends.requests import coerce_messages, merge_params
        from ..prompts.template import PromptTemplate

        if retries < 0:
            raise ValueError(f"retries must be 0 or more, not {retries}")
        base: dict[str, Any] = {}
        target: str | MessagesLike
        if isinstance(prompt, PromptTemplate):
            if schema is None and prompt.output.type != "text":
                schema = constraint_from_output(prompt.output)
            rendered = prompt.render_prompt(inputs or {}, tokenizer=backend.tokenizer)
            base = dict(rendered.params)
            target = rendered.messages if rendered.messages is not None else rendered.text or ""
        elif inputs:
            raise TypeError("inputs= is for templates; format a text prompt yourself")
        else:
            target = prompt
        if schema is None:
            raise TypeError(
                "generate_structured needs a schema: a pydantic model, a JSON schema dict, "
                "a list of choices or a constraint (or a template that declares output:)"
            )
        self.constraint = as_constraint(schema)
        # The template's defaults, then params, then keyword overrides.
        user = merge_params(params, _sampling(overrides))
        self.params = merge_params(base, user.model_dump(exclude_unset=True))
        self.options = {k: v for k, v in overrides.items() if k in _REQUEST_KEYS}
        self.retries = retries
        self.strategy = _strategy(backend, self.constraint)
        self.text: str | None = target if isinstance(target, str) else None
        self.messages: list[Message] | None = (
            None if isinstance(target, str) else coerce_messages(target)
        )
        self.feedback: list[tuple[str, str]] = []  # (rejected output, its error), in order
        self.attempts: list[Attempt] = []
        self.output: Any = None

    def next_call(self) -> tuple[str | list[Message], dict[str, Any]]:
        """What to send next: the prompt (with the instructions and the feedback so far) and
        the keyword arguments of the call."""
        options: dict[str, Any] = {**self.options, "params": self.params}
        if self.strategy == "constrained":
            options["constraint"] = self.constraint
        elif self.strategy == "response_format":
            assert isinstance(self.constraint, JsonSchema)
            options["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": self.constraint.name, "schema": self.constraint.schema},
            }
        instructions = None if self.strategy == "constrained" else self.constraint.instructions()
        if self.messages is not None:
            return self._messages(instructions), options
        assert self.text is not None
        return self._text(instructions), options

    def record(self, completion: Completion) -> bool:
        """Parse an output: ``True`` when it is valid (or raise when the retries are spent)."""
        text = completion.text
        try:
            if completion.finish_reason == "length" and self.strategy == "constrained":
                raise ValueError(
                    f"the output was cut off at max_tokens ({self.params.max_tokens}) before "
                    "it was complete; raise max_tokens"
                )
            self.output = self.constraint.parse(text)
        except ValueError as exc:
            self.attempts.append(Attempt(text=text, error=str(exc), usage=completion.usage))
            self.feedback.append((text, str(exc)))
            if len(self.attempts) > self.retries:
                raise self._error() from None
            return False
        self.attempts.append(Attempt(text=text, error=None, usage=completion.usage))
        return True

    def fall_back(self, exc: BadRequestError) -> None:
        """A server that refuses response_format gets the instructions in the prompt instead;
        any other refusal is the caller's to see."""
        refused = exc.field == "response_format" or "response_format" in str(exc)
        if self.strategy != "response_format" or not refused:
            raise exc
        self.strategy = "prompted"

    def result(self) -> StructuredResult[Any]:
        return StructuredResult(
            output=self.output,
            attempts=self.attempts,
            usage=_total(a.usage for a in self.attempts),
            strategy=self.strategy,
        )

    def _error(self) -> StructuredOutputError:
        n = len(self.attempts)
        return StructuredOutputError(
            f"the output did not match the {self.constraint.kind} constraint after {n} "
            f"attempt{'s' * (n != 1)} (strategy: {self.strategy}); last error: "
            f"{self.attempts[-1].error}",
            outputs=[a.text for a in self.attempts],
            errors=[a.error or "" for a in self.attempts],
            usage=_total(a.usage for a in self.attempts),
        )

    def _text(self, instructions: str | None) -> str:
        assert self.text is not None
        prompt = self.text if instructions is None else f"{instructions}\n\n{self.text}"
        for output, error in self.feedback:
            prompt += f"{output}\n\nThat answer is invalid: {error}\nCorrected answer: "
        return prompt

    def _messages(self, instructions: str | None) -> list[Message]:
        assert self.messages is not None
        messages = list(self.messages)
        if instructions is not None:
            if messages and messages[0].role == "system":
                first = messages[0]
                content = f"{first.content}\n\n{instructions}"
                messages[0] = first.model_copy(update={"content": content})
            else:
                messages.insert(0, Message(role="system", content=instructions))
        for output, error in self.feedback:
            messages.append(Message(role="assistant", content=output))
            messages.append(
                Message(
                    role="user",
                    content=f"That answer is invalid: {error}\nAnswer again, correctly.",
                )
            )
        return messages


_REQUEST_KEYS = ("tools", "tool_choice")


def _sampling(overrides: Mapping[str, Any]) -> dict[str, Any]:
    blocked = {"constraint", "response_format"} & set(overrides)
    if blocked:
        raise TypeError(
            f"generate_structured sets {', '.join(sorted(blocked))} itself; pass schema= instead"
        )
    return {k: v for k, v in overrides.items() if k not in _REQUEST_KEYS}


def _strategy(backend: Backend, constraint: Constraint) -> Strategy:
    caps = backend.capabilities
    if caps.constrained_decoding:
        return "constrained"
    if caps.response_format and isinstance(constraint, JsonSchema):
        return "response_format"
    return "prompted"


def _total(usages: Any) -> Usage:
    prompt = completion = cached = 0
    for usage in usages:
        prompt += usage.prompt_tokens
        completion += usage.completion_tokens
        cached += usage.cached_prompt_tokens
    return Usage(prompt_tokens=prompt, completion_tokens=completion, cached_prompt_tokens=cached)
