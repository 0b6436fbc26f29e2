"""A tool's arguments: the pydantic model built from a function's signature.

Every argument becomes a field whose alias is the argument's name, so any Python name works,
even one pydantic keeps for itself (``_limit``, ``schema``, ``json``, ``model_config``). What
cannot become a tool is refused here, at definition time, with a message naming the tool and
the argument: an argument without a type hint, ``*args``/``**kwargs``, a positional-only
argument, or a type that pydantic cannot validate or describe as JSON schema.
"""

from __future__ import annotations

import functools
import inspect
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, create_model
from pydantic.errors import PydanticSchemaGenerationError, PydanticUserError

__all__ = [
    "SCHEMA_ERRORS",
    "arguments_model",
    "describe_validation",
    "json_type",
    "underlying_function",
]

# What pydantic raises for a type it cannot validate or cannot write as JSON schema.
SCHEMA_ERRORS = (PydanticSchemaGenerationError, PydanticUserError, TypeError, ValueError)


def arguments_model(
    function: Callable[..., Any], tool_name: str, described: Mapping[str, str]
) -> type[BaseModel]:
    """The model that validates the model's arguments for ``function``; ``TypeError``
    naming the tool and the argument for a signature that cannot be described."""
    signature = inspect.signature(function)
    try:
        hints = _type_hints(function)
    except NameError as exc:
        raise TypeError(f"tool {tool_name!r}: cannot resolve a type annotation: {exc}") from None
    fields: dict[str, Any] = {}
    for i, parameter in enumerate(signature.parameters.values()):
        name = parameter.name
        if parameter.kind is parameter.VAR_POSITIONAL:
            raise TypeError(
                f"tool {tool_name!r}: *{name} cannot be described to a model; name each argument"
            )
        if parameter.kind is parameter.VAR_KEYWORD:
            raise TypeError(
                f"tool {tool_name!r}: **{name} cannot be described to a model; name each argument"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise TypeError(
                f"tool {tool_name!r}: argument {name!r} is positional-only; the "
                "model passes arguments by name"
            )
        if name not in hints:
            raise TypeError(
                f"tool {tool_name!r}: argument {name!r} has no type annotation; "
                "annotate it so its JSON schema can be built"
            )
        _check_describable(tool_name, name, hints[name])
        default = ... if parameter.default is parameter.empty else parameter.default
        # Fields are named by position and found by alias: any argument name works.
        # no description=None: it would hide one given in Annotated[..., Field(description=)]
        info = (
            Field(default, alias=name, description=described[name])
            if name in described
            else Field(default, alias=name)
        )
        fields[f"arg{i}"] = (hints[name], info)
    return create_model(
        f"{tool_name}_arguments",
        __config__=ConfigDict(extra="forbid"),
        **fields,
    )


def underlying_function(function: Callable[..., Any]) -> Callable[..., Any]:
    """The function whose annotations and name a callable has: the function a
    ``functools.partial`` wraps, a callable object's ``__call__``, a decorated function's
    original (``__wrapped__``, so a Tool made from a Tool reaches the first function)."""
    function = inspect.unwrap(function)
    while isinstance(function, functools.partial):
        function = inspect.unwrap(function.func)
    if not inspect.isroutine(function):
        function = type(function).__call__
    return inspect.unwrap(function)


def describe_validation(exc: ValidationError, root: str = "arguments") -> str:
    """Pydantic's errors in one line: ``expression: Field required; n: Input should be ...``;
    an error about the whole value is named ``root``."""
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or root
        if error["type"] == "extra_forbidden":
            parts.append(f"{where}: unexpected argument")
        else:
            parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)


def json_type(prop: Mapping[str, Any]) -> str:
    """A short JSON type for a property schema (``"string"``, ``"integer"``, ...)."""
    if "type" in prop:
        kind = prop["type"]
        return kind if isinstance(kind, str) else "|".join(kind)
    for key in ("anyOf", "oneOf"):
        if key in prop:
            kinds = [json_type(p) for p in prop[key]]
            return "|".join(k for k in kinds if k != "null") or "null"
    if "enum" in prop:
        return "|".join(json.dumps(v) for v in prop["enum"])
    return "object"


def _check_describable(tool_name: str, argument: str, annotation: Any) -> None:
    """A type the model can be told about (JSON schema) and whose values can be validated."""
    try:
        TypeAdapter(annotation).json_schema()
    except SCHEMA_ERRORS:
        shown = getattr(annotation, "__name__", None) or repr(annotation)
        raise TypeError(
            f"tool {tool_name!r}: argument {argument!r} has type {shown}, which has no JSON "
            "schema to show a model; use JSON types (str, int, float, bool, lists, dicts, "
            "enums, pydantic models)"
        ) from None


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    """The arguments' annotations, resolved; the return annotation is left out, since it
    does not shape the schema and may name a type local to the caller."""
    target = underlying_function(function)
    annotations = getattr(target, "__annotations__", None) or {}
    arguments = types.SimpleNamespace(
        __annotations__={k: v for k, v in annotations.items() if k != "return"},
        __globals__=getattr(target, "__globals__", {}),
    )
    # include_extras: Annotated[int, Field(ge=1)] keeps its constraint
    return typing.get_type_hints(arguments, include_extras=True)
