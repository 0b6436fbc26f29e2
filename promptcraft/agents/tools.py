"""Tools: typed Python functions an agent's model may call.

::

    @pc.tool
    def forecast(city: str, days: int = 3) -> str:
        '''Forecast the weather.

        Args:
            city: The city's name.
            days: How many days ahead.
        '''

``@tool`` reads the name, the description and each argument's description (Google or
numpy docstrings), and builds a pydantic model from the signature: its JSON schema is what
the model sees, and it validates the model's arguments before the function runs. The result
is serialised for the model (text as is; pydantic models, dicts and lists as JSON) and cut
to ``max_output_chars``. Sync functions run in a daemon thread and async ones on the event
loop, both under ``timeout``, so a tool that hangs cannot hang the agent.

A decorated function is still callable as before: ``forecast("Paris")``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import json
import threading
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model
from pydantic_core import to_jsonable_python

from ..errors import ToolError
from .docstrings import parse_docstring

__all__ = [
    "DEFAULT_MAX_OUTPUT_CHARS",
    "DEFAULT_TIMEOUT",
    "Tool",
    "ToolArgumentsError",
    "ToolTimeoutError",
    "serialise_output",
    "tool",
]

#: Seconds a tool may run before its call fails with an observation saying so.
DEFAULT_TIMEOUT = 60.0
#: Characters of a tool's output the model sees; the rest is cut with a marker.
DEFAULT_MAX_OUTPUT_CHARS = 4000

F = TypeVar("F", bound=Callable[..., Any])


class ToolArgumentsError(ToolError):
    """The model's arguments do not fit the tool's signature."""


class ToolTimeoutError(ToolError):
    """The tool ran past its timeout."""


class Tool:
    """A function the model may call, with its name, description and argument model.

    Build one with :func:`tool`. ``call``/``acall`` take the model's arguments (a mapping),
    validate them, run the function and return the text the model sees; they raise
    :class:`~promptcraft.errors.ToolError` (or a subclass) for arguments that do not
    validate or a call that times out, and let the function's own exceptions through.
    """

    def __init__(
        self,
        function: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
        retries: int | None = None,
    ):
        if not callable(function):
            raise TypeError(f"a tool wraps a function, not {type(function).__name__}")
        if timeout is not None and timeout <= 0:
            raise ValueError(f"timeout must be positive seconds or None, not {timeout!r}")
        if max_output_chars < 100:
            raise ValueError(f"max_output_chars must be at least 100, not {max_output_chars}")
        self.function = function
        self.name: str = name or str(getattr(function, "__name__", ""))
        if not self.name.replace("_", "a").replace("-", "a").isalnum():
            raise ValueError(
                f"tool name {self.name!r} must be letters, digits, '_' or '-' (the OpenAI API "
                "and the text protocol both need that)"
            )
        doc = parse_docstring(inspect.getdoc(function))
        self.description = description if description is not None else doc.description
        self.args_model = _arguments_model(function, self.name, doc.arguments)
        self.timeout = timeout
        self.max_output_chars = max_output_chars
        #: This tool's budget of failed calls; None: the agent's ``tool_retries``.
        self.retries = retries
        self.is_async = inspect.iscoroutinefunction(function)
        functools.update_wrapper(self, function)

    def __repr__(self) -> str:
        return f"Tool(name={self.name!r})"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the function directly, as if it were not a tool."""
        return self.function(*args, **kwargs)

    # --- what the model sees ---------------------------------------------------------------

    @property
    def parameters(self) -> dict[str, Any]:
        """The arguments' JSON schema (an object schema)."""
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return schema

    def openai_schema(self) -> dict[str, Any]:
        """The tool as the OpenAI API's ``tools`` entry."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }

    def protocol_spec(self) -> dict[str, Any]:
        """The tool as the text protocol shows it: ``{name, description, args}``, ``args``
        mapping each argument to its JSON type (``{"expression": "string"}``)."""
        properties = self.parameters.get("properties", {})
        args = {name: _json_type(prop) for name, prop in properties.items()}
        return {"name": self.name, "description": self.description.rstrip("."), "args": args}

    # --- calling ---------------------------------------------------------------------------

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """The arguments as the function's keyword arguments, validated and converted;
        :class:`ToolArgumentsError` naming each bad field otherwise."""
        if not isinstance(arguments, Mapping):
            raise ToolArgumentsError(
                f"{self.name} takes its arguments as a JSON object, not {type(arguments).__name__}",
                tool=self.name,
            )
        try:
            model = self.args_model.model_validate(dict(arguments))
        except ValidationError as exc:
            raise ToolArgumentsError(
                f"{self.name} takes args {json.dumps(self.protocol_spec()['args'])}: "
                f"{describe_validation(exc)}",
                tool=self.name,
            ) from None
        return {field: getattr(model, field) for field in type(model).model_fields}

    async def acall(self, arguments: Mapping[str, Any]) -> str:
        """Validate, run under the timeout, and serialise the result."""
        kwargs = self.validate(arguments)
        if self.is_async:
            result = await self._with_timeout(self.function(**kwargs))
        else:
            result = await self._with_timeout(_in_daemon_thread(self.function, kwargs))
        return serialise_output(result, self.max_output_chars)

    def call(self, arguments: Mapping[str, Any]) -> str:
        """:meth:`acall` from synchronous code."""
        return asyncio.run(self.acall(arguments))

    async def _with_timeout(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await asyncio.wait_for(awaitable, self.timeout)
        except TimeoutError:
            raise ToolTimeoutError(
                f"{self.name} did not finish within {self.timeout:g} seconds", tool=self.name
            ) from None


@overload
def tool(function: F, /) -> Tool: ...


@overload
def tool(
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    retries: int | None = None,
) -> Callable[[F], Tool]: ...


def tool(
    function: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    max_output_chars: int = DEFAULT_MAX_OUTPUT_CHARS,
    retries: int | None = None,
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a typed function (sync or async) a :class:`Tool`: ``@tool`` or
    ``@tool(name=..., description=..., timeout=..., max_output_chars=..., retries=...)``."""

    def wrap(f: Callable[..., Any]) -> Tool:
        return Tool(
            f,
            name=name,
            description=description,
            timeout=timeout,
            max_output_chars=max_output_chars,
            retries=retries,
        )

    return wrap(function) if function is not None else wrap


def serialise_output(value: Any, max_chars: int = DEFAULT_MAX_OUTPUT_CHARS) -> str:
    """A tool's result as the model sees it: text as is, ``None`` as ``""``, pydantic
    models, dicts, lists and numbers as JSON; longer than ``max_chars``, cut with a marker
    that says how much was left out."""
    if isinstance(value, str):
        text = value
    elif value is None:
        text = ""
    elif isinstance(value, BaseModel):
        text = value.model_dump_json()
    else:
        try:
            text = json.dumps(to_jsonable_python(value), ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    if len(text) <= max_chars:
        return text
    marker = f" ...[truncated: {len(text) - max_chars} of {len(text)} characters left out]"
    return text[: max_chars - len(marker)] + marker


def describe_validation(exc: ValidationError) -> str:
    """Pydantic's errors in one line: ``expression: Field required; n: Input should be ...``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "arguments"
        if error["type"] == "extra_forbidden":
            parts.append(f"{where}: unexpected argument")
        else:
            parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


# --- building the argument model ------------------------------------------------------------


def _arguments_model(
    function: Callable[..., Any], tool_name: str, described: Mapping[str, str]
) -> type[BaseModel]:
    signature = inspect.signature(function)
    try:
        hints = _type_hints(function)
    except NameError as exc:
        raise TypeError(f"tool {tool_name!r}: cannot resolve a type annotation: {exc}") from None
    fields: dict[str, Any] = {}
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise TypeError(
                f"tool {tool_name!r}: *{parameter.name} / **{parameter.name} cannot be "
                "described to a model; name each argument"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"tool {tool_name!r}: argument {parameter.name!r} is positional-only; the "
                "model passes arguments by name"
            )
        if parameter.name not in hints:
            raise TypeError(
                f"tool {tool_name!r}: argument {parameter.name!r} has no type annotation; "
                "annotate it so its JSON schema can be built"
            )
        default = ... if parameter.default is parameter.empty else parameter.default
        fields[parameter.name] = (
            hints[parameter.name],
            Field(default, description=described.get(parameter.name)),
        )
    return create_model(
        f"{tool_name}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The arguments' annotations, resolved; the return annotation is left out, since it
    does not shape the schema and may name a type local to the caller."""
    target = function if inspect.isroutine(function) else type(function).__call__
    target = inspect.unwrap(target)
    arguments = types.SimpleNamespace(
        __annotations__={k: v for k, v in target.__annotations__.items() if k != "return"},
        __globals__=getattr(target, "__globals__", {}),
    )
    return typing.get_type_hints(arguments)


def _json_type(prop: Mapping[str, Any]) -> str:
    """A short JSON type for a property schema (``"string"``, ``"integer"``, ...)."""
    if "type" in prop:
        kind = prop["type"]
        return kind if isinstance(kind, str) else "|".join(kind)
    for key in ("anyOf", "oneOf"):
        if key in prop:
            kinds = [_json_type(p) for p in prop[key]]
            return "|".join(k for k in kinds if k != "null") or "null"
    if "enum" in prop:
        return "|".join(json.dumps(v) for v in prop["enum"])
    return "object"


def _in_daemon_thread(function: Callable[..., Any], kwargs: dict[str, Any]) -> asyncio.Future[Any]:
    """Run a blocking function in a daemon thread of its own. Unlike the loop's default
    executor, a daemon thread that never returns neither blocks ``asyncio.run`` from ending
    nor the interpreter from exiting, so a timed-out tool is abandoned, not awaited."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def run() -> None:
        try:
            result = function(**kwargs)
        except BaseException as exc:  # handed to the awaiting coroutine
            _post(loop, settle, False, exc)
        else:
            _post(loop, settle, True, result)

    threading.Thread(
        target=run, name=f"promptcraft-tool-{getattr(function, '__name__', 'call')}", daemon=True
    ).start()
    return future


def _post(loop: asyncio.AbstractEventLoop, callback: Callable[..., None], *args: Any) -> None:
    # The loop may be gone when an abandoned tool finally returns.
    if not loop.is_closed():
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(callback, *args)
