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
import re
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from ..errors import ToolError
from .docstrings import parse_docstring
from .tool_arguments import arguments_model, describe_validation, json_type, underlying_function

__all__ = [
    "DEFAULT_MAX_OUTPUT_CHARS",
    "DEFAULT_TIMEOUT",
    "Tool",
    "ToolArgumentsError",
    "ToolTimeoutError",
    "describe_validation",
    "serialise_output",
    "tool",
]

#: Seconds a tool may run before its call fails with an observation saying so.
DEFAULT_TIMEOUT = 60.0
#: Characters of a tool's output the model sees; the rest is cut with a marker.
DEFAULT_MAX_OUTPUT_CHARS = 4000

F = TypeVar("F", bound=Callable[..., Any])

# What the OpenAI API accepts as a function name (and the text protocol can write).
_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
_SURROGATE = re.compile("[\ud800-\udfff]")


class ToolArgumentsError(ToolError):
    """The model's arguments do not fit the tool's signature."""


class ToolTimeoutError(ToolError):
    """The tool ran past its timeout."""


class Tool:
    """A function the model may call, with its name, description and argument model.

    Build one with :func:`tool`. ``call``/``acall`` take the model's arguments (a mapping),
    validate them, run the function and return the text the model sees; they raise
    :class:`~promptcraft.errors.ToolError` (or a subclass) for arguments that do not
    validate, a call that times out or a function that calls ``sys.exit()``, and let the
    function's other exceptions through.
    A definition that cannot work (an argument without a type hint or of a type with no
    JSON schema, ``*args``, a bad name or option) is refused here, naming the function and
    the argument.
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
        _check_function(function)
        _check_options(timeout, max_output_chars, retries)
        # the function's __name__, __doc__, ... but not its __dict__: a Tool made from a Tool
        # must not take the first one's name, description or settings
        functools.update_wrapper(self, function, updated=())
        self.function = function
        self.name: str = _tool_name(function, name)
        underlying = underlying_function(function)
        if inspect.isasyncgenfunction(underlying) or inspect.isgeneratorfunction(underlying):
            raise TypeError(
                f"tool {self.name!r} is a generator; a tool returns one value (return a list)"
            )
        doc = parse_docstring(inspect.getdoc(underlying) or inspect.getdoc(function))
        self.description = description if description is not None else doc.description
        self.args_model = arguments_model(function, self.name, doc.arguments)
        self.timeout = timeout
        self.max_output_chars = max_output_chars
        #: This tool's budget of failed calls; None: the agent's ``tool_retries``.
        self.retries = retries
        self.is_async = inspect.iscoroutinefunction(function) or (
            not inspect.isroutine(function) and inspect.iscoroutinefunction(type(function).__call__)
        )

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
        args = {name: json_type(prop) for name, prop in properties.items()}
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
        fields = type(model).model_fields
        return {info.alias or field: getattr(model, field) for field, info in fields.items()}

    async def acall(self, arguments: Mapping[str, Any]) -> str:
        """Validate, run under the timeout, and serialise the result."""
        kwargs = self.validate(arguments)
        result = await self._with_timeout(self._run(kwargs))
        return serialise_output(result, self.max_output_chars)

    def call(self, arguments: Mapping[str, Any]) -> str:
        """:meth:`acall` from synchronous code (inside an event loop, await ``acall``)."""
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return asyncio.run(self.acall(arguments))
        raise RuntimeError(
            f"{self.name}.call() runs its own event loop, so it cannot run inside one; "
            f"use `await {self.name}.acall(arguments)`"
        )

    async def _run(self, kwargs: dict[str, Any]) -> Any:
        try:
            if self.is_async:
                return await self.function(**kwargs)
            result = await _in_daemon_thread(self.function, kwargs)
            # a sync callable that hands back a coroutine (an undecorated async wrapper)
            return await result if inspect.isawaitable(result) else result
        except SystemExit as exc:
            # sys.exit() in a tool (argparse does it) ends the call, not the agent's event loop
            raise ToolError(
                f"{self.name} exited (sys.exit({exc.code!r}))", tool=self.name
            ) from None

    async def _with_timeout(self, awaitable: Awaitable[Any]) -> Any:
        try:
            return await asyncio.wait_for(awaitable, self.timeout)
        except asyncio.TimeoutError:  # not yet the builtin TimeoutError on Python 3.10
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
    models, dicts, lists and numbers as JSON, anything else as its ``str()``; characters
    that UTF-8 cannot encode as U+FFFD; longer than ``max_chars``, cut with a marker that
    says how much was left out."""
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
    # lone surrogates (os.fsdecode of a non-UTF-8 file name) cannot be encoded as UTF-8 for a
    # tokenizer, a server or the trace
    text = _SURROGATE.sub("\ufffd", text)
    if len(text) <= max_chars:
        return text
    marker = f" ...[truncated: {len(text) - max_chars} of {len(text)} characters left out]"
    return text[: max_chars - len(marker)] + marker


def _check_function(function: Any) -> None:
    if isinstance(function, str):
        raise TypeError(
            f"a tool wraps a function, not the string {function!r}; to name a tool, "
            f"write @tool(name={function!r})"
        )
    if not callable(function):
        raise TypeError(f"a tool wraps a function, not {type(function).__name__}")
    if isinstance(function, type):
        raise TypeError(
            f"a tool wraps a function, not the class {function.__name__}; write a typed "
            "function that builds or uses it"
        )


def _check_options(timeout: Any, max_output_chars: Any, retries: Any) -> None:
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0
    ):
        raise ValueError(f"timeout must be positive seconds or None, not {timeout!r}")
    if isinstance(max_output_chars, bool) or not isinstance(max_output_chars, int):
        raise ValueError(f"max_output_chars must be an integer, not {max_output_chars!r}")
    if max_output_chars < 100:
        raise ValueError(f"max_output_chars must be at least 100, not {max_output_chars}")
    if retries is not None and (
        isinstance(retries, bool) or not isinstance(retries, int) or retries < 0
    ):
        raise ValueError(f"retries must be a non-negative integer or None, not {retries!r}")


def _tool_name(function: Callable[..., Any], name: str | None) -> str:
    """``name``, or the function's own (a ``functools.partial``'s function's)."""
    if name is None:
        own = getattr(function, "__name__", None)
        if own is None and isinstance(function, functools.partial):
            own = getattr(underlying_function(function), "__name__", None)
        if not isinstance(own, str):
            raise ValueError(f"{function!r} has no name to call it by; write @tool(name=...)")
        name = own
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"tool name {name!r} must be 1 to 64 letters, digits, '_' or '-' (the OpenAI API "
            "and the text protocol both need that); write @tool(name=...)"
        )
    return name


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
