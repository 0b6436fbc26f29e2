"""Refuse, before anything is generated, a JSON schema that has a part no value can satisfy
(and a pydantic model that has no JSON schema: :func:`model_schema`).

``outlines-core`` turns such a part into an empty regex group, so constrained decoding
would write an invalid value where it stands (``{"enum": []}`` gave ``{"a": }``), and the
bounds it ignores (``minimum`` above ``maximum``) would only fail validation after the
tokens were spent. :func:`check_satisfiable` walks every subschema (properties, items,
anyOf/oneOf/allOf branches, ``$defs``...) and raises :class:`ConstraintError` with the path
of the first one that cannot be met: an empty ``enum``, ``enum``/``const`` values the rest
of the subschema rejects, ``minimum`` > ``maximum`` (exclusive bounds and ``multipleOf``
included, and no integer between the bounds of an integer), ``minLength`` > ``maxLength``,
``minItems`` > ``maxItems``, ``minProperties`` > ``maxProperties``, ``minContains`` >
``maxContains``, or a required property the object may not have.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from fractions import Fraction
from typing import Any, TypeGuard, cast

from pydantic import BaseModel, PydanticUserError

from ..errors import ConstraintError

__all__ = ["check_satisfiable", "model_schema"]

# Keywords whose value is one subschema, a map of subschemas, or a list of them. ``not``
# and ``if``/``then``/``else`` are left out: an unsatisfiable part there is legitimate.
_ONE = ("additionalProperties", "items", "contains", "propertyNames", "unevaluatedItems")
_MAP = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_LIST = ("anyOf", "oneOf", "allOf", "prefixItems", "items")


def check_satisfiable(schema: Any, validator: Any) -> None:
    """Raise :class:`ConstraintError` naming the path of the first subschema of ``schema``
    that no JSON value satisfies. ``validator`` is a jsonschema validator of ``schema``
    (used to test ``enum``/``const`` values against the rest of their subschema)."""
    for path, subschema in _subschemas(schema):
        problem = _problem(subschema, validator)
        if problem is not None:
            where = ".".join(map(str, path)) or "(root)"
            raise ConstraintError(
                f"unsatisfiable JSON schema at {where}: {problem}, so no value can match it "
                "(constrained decoding would write an invalid value there)",
                kind="json_schema",
                path=where,
            )


def model_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The JSON schema of ``model``; :class:`ConstraintError` naming the field whose type
    has none (a callable, an arbitrary class)."""
    try:
        return model.model_json_schema()
    except PydanticUserError as exc:
        reason = str(exc).splitlines()[0]
    field = _field_without_schema(model)
    where = f"field {field!r} of " if field else ""
    raise ConstraintError(
        f"{where}{model.__name__} has no JSON schema, so it cannot be a structured output: "
        f"{reason}. Use JSON types (str, int, float, bool, None, lists, dicts, enums, "
        "Literal, nested models)",
        kind="json_schema",
        path=f"properties.{field}" if field else None,
    ) from None


def _field_without_schema(model: type[BaseModel]) -> str | None:
    from pydantic import TypeAdapter

    for name, info in model.model_fields.items():
        try:
            TypeAdapter(cast(Any, info.annotation)).json_schema()
        except Exception:
            return name
    return None


def _subschemas(schema: Any) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every subschema with its path, parents first (an explicit stack: no recursion)."""
    stack: list[tuple[tuple[Any, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        yield path, node
        if not isinstance(node, Mapping):
            continue
        children: list[tuple[tuple[Any, ...], Any]] = []
        # Boolean subschemas are not visited: ``additionalProperties: false`` is common and
        # fine; a false property that is required is caught by its object.
        for key in _ONE:
            if isinstance(node.get(key), Mapping):
                children.append(((*path, key), node[key]))
        for key in _MAP:
            if isinstance(node.get(key), Mapping):
                children.extend(
                    ((*path, key, name), sub)
                    for name, sub in node[key].items()
                    if isinstance(sub, Mapping)
                )
        for key in _LIST:
            if isinstance(node.get(key), list):
                children.extend(
                    ((*path, key, i), sub)
                    for i, sub in enumerate(node[key])
                    if isinstance(sub, Mapping)
                )
        stack.extend(reversed(children))


def _problem(schema: Any, validator: Any) -> str | None:
    if schema is False:
        return "the schema is false"
    if not isinstance(schema, Mapping):
        return None
    types = _types(schema)
    return (
        _enum_problem(schema, validator)
        or _pair_problem(schema, types, {"string"}, "minLength", "maxLength")
        or _pair_problem(schema, types, {"array"}, "minItems", "maxItems")
        or _pair_problem(schema, types, {"array"}, "minContains", "maxContains")
        or _pair_problem(schema, types, {"object"}, "minProperties", "maxProperties")
        or _number_problem(schema, types)
        or _required_problem(schema, types)
    )


def _types(schema: Mapping[str, Any]) -> set[str] | None:
    """The types the schema allows (``None``: any)."""
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return None


def _enum_problem(schema: Mapping[str, Any], validator: Any) -> str | None:
    if "enum" in schema and isinstance(schema["enum"], list):
        values = list(schema["enum"])
        if not values:
            return "enum is empty"
        if "const" in schema:
            values = [v for v in values if _same_json(v, schema["const"])]
            if not values:
                return f"const {schema['const']!r} is not among the enum values"
    elif "const" in schema:
        values = [schema["const"]]
    else:
        return None
    try:
        check = validator.evolve(schema=schema)
        if any(check.is_valid(value) for value in values):
            return None
    except Exception:  # a $ref the subschema alone cannot resolve: leave it to validation
        return None
    which = "enum value" if "enum" in schema else "const value"
    return f"no {which} satisfies the rest of the subschema ({values[:5]!r})"


def _pair_problem(
    schema: Mapping[str, Any], types: set[str] | None, applies: set[str], low: str, high: str
) -> str | None:
    if types is None or not types or not types <= applies:
        return None
    lo, hi = schema.get(low), schema.get(high)
    if _is_number(lo) and _is_number(hi) and lo > hi:
        return f"{low} {lo} is greater than {high} {hi}"
    return None


def _number_problem(schema: Mapping[str, Any], types: set[str] | None) -> str | None:
    """Bounds (and ``multipleOf``) that leave no number, or no integer, between them."""
    if types is None or not types or not types <= {"integer", "number"}:
        return None
    lower = _bound(schema, "minimum", "exclusiveMinimum", max)
    upper = _bound(schema, "maximum", "exclusiveMaximum", min)
    step: Fraction | None = None
    if _is_number(schema.get("multipleOf")) and schema["multipleOf"] > 0:
        step = Fraction(schema["multipleOf"])
    if types == {"integer"}:
        # Integer multiples of p/q (lowest terms) are the multiples of p.
        step = Fraction(step.numerator) if step is not None else Fraction(1)
    if lower is None or upper is None:
        return None
    (lo, lo_strict), (hi, hi_strict) = lower, upper
    if step is None:
        empty = lo > hi or (lo == hi and (lo_strict or hi_strict))
    else:
        first = math.ceil(lo / step) * step
        if lo_strict and first == lo:
            first += step
        empty = first > hi or (hi_strict and first == hi)
    if not empty:
        return None
    what = "integer" if types == {"integer"} else "number"
    if step is not None and step != 1:
        what = f"multiple of {schema['multipleOf']}"
    return f"no {what} lies within its bounds ({_describe_bounds(schema)})"


def _bound(
    schema: Mapping[str, Any], inclusive: str, exclusive: str, pick: Any
) -> tuple[Fraction, bool] | None:
    """The tighter of the inclusive and exclusive bound: (value, strict)."""
    found: list[tuple[Fraction, bool]] = []
    if _is_number(schema.get(inclusive)):
        found.append((Fraction(schema[inclusive]), False))
    if _is_number(schema.get(exclusive)):  # draft 4's boolean form is left alone
        found.append((Fraction(schema[exclusive]), True))
    if not found:
        return None
    value = pick(v for v, _ in found)
    return value, any(strict for v, strict in found if v == value)


def _describe_bounds(schema: Mapping[str, Any]) -> str:
    keys = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf")
    return ", ".join(f"{k} {schema[k]}" for k in keys if _is_number(schema.get(k)))


def _required_problem(schema: Mapping[str, Any], types: set[str] | None) -> str | None:
    required = schema.get("required")
    if not isinstance(required, list) or (types is not None and types != {"object"}):
        return None
    found = schema.get("properties")
    properties: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    closed = schema.get("additionalProperties") is False and "patternProperties" not in schema
    for name in required:
        if properties.get(name) is False or (closed and name not in properties):
            return f"the required property {name!r} is not allowed"
    most = schema.get("maxProperties")
    if _is_number(most) and len(set(required)) > most:
        return f"{len(set(required))} properties are required but maxProperties is {most}"
    return None


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _same_json(a: Any, b: Any) -> bool:
    """JSON equality: ``true`` is not ``1``."""
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool) and a == b
    return bool(a == b)
