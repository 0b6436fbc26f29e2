"""``generate_structured``: a typed value from any backend, validated, with retries.

The strategy follows the backend's capabilities (see :mod:`.session`): ``ranked`` choices
(``choices(..., mode="rank")`` on a local model: the most probable choice, nothing
generated), ``constrained`` decoding (a local model), the server's ``response_format``, or
``prompted`` (instructions in the prompt, the answer parsed leniently).

Whatever the strategy, the output is parsed and validated (a pydantic model may check more
than its JSON schema says). An invalid output is fed back to the model with the validation
message, as instructor does, until ``retries`` run out; then :class:`StructuredOutputError`
carries every raw output and message. The usage counts every attempt. The sync and async
functions share one implementation (:class:`~.session.StructuredSession`); only the backend
call differs.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, overload

from pydantic import BaseModel

from ..constraints.constraints import Constraint
from ..errors import BadRequestError, ContextLengthError
from .session import Attempt, SchemaLike, StructuredResult, StructuredSession
from .target import GenerationTarget

if TYPE_CHECKING:
    from ..coerce import MessagesLike, ParamsLike
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


@overload
def generate_structured(
    backend: GenerationTarget,
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
    backend: GenerationTarget,
    prompt: str | MessagesLike | PromptTemplate,
    schema: Mapping[str, Any] | Constraint | Sequence[str] | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> Any: ...


def generate_structured(
    backend: GenerationTarget,
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
    backend: GenerationTarget,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> StructuredResult[Any]:
    """:func:`generate_structured`, returning the attempts and the usage too."""
    session = StructuredSession(backend, prompt, schema, inputs, retries, params, overrides)
    if session.strategy == "ranked":
        session.rank()
        return session.result()
    while True:
        target, options = session.next_call()
        try:
            if isinstance(target, str):
                completion = backend.generate(target, **options)
            else:
                completion = backend.chat(target, **options)
        except ContextLengthError as exc:
            session.fit_context(exc)
            continue
        except BadRequestError as exc:
            session.fall_back(exc)
            continue
        if session.record(completion):
            return session.result()


async def agenerate_structured(
    backend: GenerationTarget,
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
    backend: GenerationTarget,
    prompt: str | MessagesLike | PromptTemplate,
    schema: SchemaLike | None = None,
    *,
    inputs: Mapping[str, Any] | None = None,
    retries: int = 2,
    params: ParamsLike = None,
    **overrides: Any,
) -> StructuredResult[Any]:
    """:func:`generate_structured_result` without blocking the event loop."""
    session = StructuredSession(backend, prompt, schema, inputs, retries, params, overrides)
    if session.strategy == "ranked":
        await asyncio.to_thread(session.rank)
        return session.result()
    while True:
        target, options = session.next_call()
        try:
            if isinstance(target, str):
                completion = await backend.agenerate(target, **options)
            else:
                completion = await backend.achat(target, **options)
        except ContextLengthError as exc:
            session.fit_context(exc)
            continue
        except BadRequestError as exc:
            session.fall_back(exc)
            continue
        if session.record(completion):
            return session.result()
