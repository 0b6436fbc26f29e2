"""A JSON schema written compactly for a model to read: the shape of the value, with each
field's name and type, in a few dozen tokens instead of the schema's hundreds::

    {"name": string, "age": integer, "city": string}
    {"items": [{"sku": string, "qty": integer}, ...], "note"?: string}

Optional fields carry ``?``; enums and consts show their values (``"low" | "high"``);
``anyOf``/``oneOf`` join their branches with ``|``; ``$ref`` (a nested pydantic model) is
followed. Field descriptions, when the schema has any, follow as ``- field: description``
lines. The ``names`` level keeps only the top-level field names, for a context too small
for the rest.

Both structured paths use it: the instructions of a model without constrained decoding,
and the hint that tells a constrained local model what each field means (decoding alone
enforces the syntax, but the model never saw the field names).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

__all__ = ["OutlineLevel", "schema_outline"]

OutlineLevel = Literal["full", "names"]

# Deeper than this, a subschema is written as its type alone: the outline stays short.
_MAX_DEPTH = 4
_SCALARS = {"string", "integer", "number", "boolean", "null"}


def schema_outline(schema: Mapping[str, Any], level: OutlineLevel = "full") -> str:
    """The shape of values of ``schema``, on one line, then its field descriptions (at the
    ``full`` level)."""
    if level == "names":
        properties = schema.get("properties")
        if isinstance(properties, Mapping) and properties:
            return "{" + ", ".join(json.dumps(name) + ": ..." for name in properties) + "}"
        return _shape(schema, schema, 0)
    lines = [_shape(schema, schema, 0)]
    described = _descriptions(schema, schema)
    lines.extend(f"- {name}: {text}" for name, text in described)
    return "\n".join(lines)


def _shape(node: Any, root: Mapping[str, Any], depth: int) -> str:
    if not isinstance(node, Mapping):
        return "any"
    node = _resolve(node, root)
    if "const" in node:
        return json.dumps(node["const"], ensure_ascii=False)
    if isinstance(node.get("enum"), list):
        return " | ".join(json.dumps(v, ensure_ascii=False) for v in node["enum"])
    for key in ("anyOf", "oneOf"):
        if isinstance(node.get(key), list):
            return " | ".join(dict.fromkeys(_shape(b, root, depth + 1) for b in node[key]))
    if isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
        return _shape(node["allOf"][0], root, depth)
    kind = node.get("type")
    if isinstance(kind, list):
        return " | ".join(_shape({**node, "type": k}, root, depth) for k in kind)
    if kind == "object" or "properties" in node:
        return _object(node, root, depth)
    if kind == "array":
        if depth >= _MAX_DEPTH:
            return "[...]"
        items = node.get("items")
        inner = _shape(items, root, depth + 1) if isinstance(items, Mapping) else "any"
        return f"[{inner}, ...]"
    if kind in _SCALARS:
        fmt = node.get("format")
        return f"{kind} ({fmt})" if kind == "string" and isinstance(fmt, str) else str(kind)
    return "any"


def _object(node: Mapping[str, Any], root: Mapping[str, Any], depth: int) -> str:
    properties = node.get("properties")
    if not isinstance(properties, Mapping) or not properties:
        return "object"
    if depth >= _MAX_DEPTH:
        return "{...}"
    required = set(node.get("required") or ())
    fields = [
        f"{json.dumps(name, ensure_ascii=False)}{'' if name in required else '?'}: "
        f"{_shape(sub, root, depth + 1)}"
        for name, sub in properties.items()
    ]
    return "{" + ", ".join(fields) + "}"


def _descriptions(node: Mapping[str, Any], root: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(field name, description) of the top-level fields that have one."""
    node = _resolve(node, root)
    properties = node.get("properties")
    if not isinstance(properties, Mapping):
        return []
    found = []
    for name, sub in properties.items():
        if isinstance(sub, Mapping):
            text = sub.get("description")
            if isinstance(text, str) and text.strip():
                found.append((str(name), " ".join(text.split())))
    return found


def _resolve(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with a local ``$ref`` (``#/$defs/Name``) followed, a few levels at most."""
    for _ in range(8):
        ref = node.get("$ref")
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return node
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        if not isinstance(target, Mapping):
            return node
        node = target
    return node
