"""The grammar of one model turn in the text protocols, as a regular expression that a local
backend compiles into a token automaton (``constraint=``)::

    turn     = [ "Thought: " text "\\n" ]  ( action | answer )
    action   = "Action: " {"tool": NAME, "args": {ARG: VALUE, ...}}   (one offered tool)
    answer   = "Answer: " text [ "\\n" ]  (or JSON for the output schema)

Each tool's arguments follow its JSON schema, every argument in order, written as
``json.dumps`` writes it: a string (an ``enum`` as its alternatives; a ``pattern`` inside the
quotes), an integer, a number, a boolean, null, a list or an object of those.

Why it is shaped this way: compiling walks the whole vocabulary from every position of the
pattern, so a counted repetition (``[^\\n]{1,300}``) costs a vocabulary of transitions per
count: 300 x 49k tokens on SmolLM2, which :mod:`promptcraft.constraints.compile_limits`
refuses. Here nothing is counted: free text is one looping position (``[^\\x00-\\x1f]+``),
strings loop too, and names, keys and enums are literals, which allow about one token each.
The automaton still ends every output within ``max_tokens`` (it never lets the model start
what it cannot finish), so nothing is lost by leaving lengths unbounded. The thought, the
action and the answer on SmolLM2's 49,152 tokens: 0.2 s and well under a million transitions
(``benchmarks/agent.py`` measures it). Free text excludes control characters, so the
automaton's sentinel (``\\x00``, see :mod:`promptcraft.constraints.automaton`) cannot occur in
a match.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from .tools import Tool

__all__ = [
    "ANSWER_TEXT",
    "THOUGHT_PREFIX",
    "UnsupportedSchema",
    "react_turn_pattern",
    "turn_pattern",
    "value_pattern",
]

THOUGHT_PREFIX = "Thought:"
#: One line of text: no control characters (no newline, no sentinel).
TEXT = r"[^\x00-\x1f]"
#: The default answer: one line of text.
ANSWER_TEXT = TEXT + "+"

_STRING_CHAR = r'(?:[^"\\\x00-\x1f]|\\["\\/bfnrt])'
_STRING = f'"{_STRING_CHAR}*"'
_INTEGER = r"-?(?:0|[1-9][0-9]*)"
_NUMBER = _INTEGER + r"(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"
_SCALARS = {
    "string": _STRING,
    "integer": _INTEGER,
    "number": _NUMBER,
    "boolean": "(?:true|false)",
    "null": "null",
}
_MAX_DEPTH = 3  # lists and objects nested deeper than this leave the turn unconstrained


class UnsupportedSchema(ValueError):
    """An argument's schema that the grammar cannot spell (a ``$ref`` cycle, free-form
    objects, nesting past a few levels): the turn is then left unconstrained."""


def turn_pattern(
    tools: Sequence[Tool],
    *,
    answer: str = ANSWER_TEXT,
    thoughts: bool = False,
    require_call: bool = False,
) -> str:
    """The regular expression one turn matches: an optional thought line (with
    ``thoughts``), then an action calling one of ``tools`` or an answer matching ``answer``
    (with ``require_call``, an action only). With no tools only an answer is well-formed.
    Raises :class:`UnsupportedSchema` when an argument's schema cannot be written as a
    pattern."""
    actions = ["Action: " + _action_pattern(tool) for tool in tools]
    return _turn(actions, f"Answer: (?:{answer})", thoughts=thoughts, require_call=require_call)


def react_turn_pattern(
    tools: Sequence[Tool],
    *,
    answer: str = ANSWER_TEXT,
    thoughts: bool = True,
    require_call: bool = False,
) -> str:
    """The same turn in the ReAct shape of ``templates/react_agent.prompt``: an optional
    thought, then ``Action: NAME`` and ``Action Input: {...}`` on the next line, or
    ``Final Answer: ...``."""
    actions = [
        "Action: " + re.escape(tool.name) + r"\nAction Input: " + _arguments_pattern(tool)
        for tool in tools
    ]
    answer_branch = f"Final Answer: (?:{answer})"
    return _turn(actions, answer_branch, thoughts=thoughts, require_call=require_call)


def _turn(actions: list[str], answer: str, *, thoughts: bool, require_call: bool) -> str:
    branches = actions if require_call and actions else [*actions, answer]
    thought = f"(?:{THOUGHT_PREFIX} {TEXT}+\\n)?" if thoughts else ""
    # "\n?": the tokenizer may write the end of the line and the newline as one token.
    return f"{thought}(?:" + "|".join(branches) + ")" + r"\n?"


def _action_pattern(tool: Tool) -> str:
    args = _arguments_pattern(tool)
    return r'\{"tool": ' + re.escape(json.dumps(tool.name)) + r', "args": ' + args + r"\}"


def _arguments_pattern(tool: Tool) -> str:
    schema = tool.parameters
    return _object_pattern(schema, schema.get("$defs", {}), depth=0)


def value_pattern(
    prop: Mapping[str, Any], definitions: Mapping[str, Any] | None = None, depth: int = 0
) -> str:
    """The pattern of one JSON value under ``prop`` (a property's schema), written as
    ``json.dumps`` writes it."""
    if depth > _MAX_DEPTH:
        raise UnsupportedSchema("arguments nested too deep")
    definitions = definitions or {}
    if "$ref" in prop:
        name = str(prop["$ref"]).rsplit("/", 1)[-1]
        if name not in definitions:
            raise UnsupportedSchema(f"unresolved reference {prop['$ref']!r}")
        return value_pattern(definitions[name], definitions, depth + 1)
    if "const" in prop:
        return re.escape(json.dumps(prop["const"]))
    if "enum" in prop:
        return "(?:" + "|".join(re.escape(json.dumps(v)) for v in prop["enum"]) + ")"
    for key in ("anyOf", "oneOf"):
        if key in prop:
            options = [value_pattern(p, definitions, depth) for p in prop[key]]
            return "(?:" + "|".join(options) + ")"
    kind = prop.get("type")
    if isinstance(kind, list):
        return (
            "(?:"
            + "|".join(value_pattern({**prop, "type": k}, definitions, depth) for k in kind)
            + ")"
        )
    if kind == "string":
        return _string_pattern(prop)
    if kind in _SCALARS:
        return _SCALARS[kind]
    if kind == "array":
        item = value_pattern(prop.get("items", {"type": "string"}), definitions, depth + 1)
        return rf"\[(?:{item}(?:, {item})*)?\]"
    if kind == "object" and "properties" in prop:
        return _object_pattern(prop, definitions, depth + 1)
    raise UnsupportedSchema(f"no pattern for the schema {json.dumps(prop)[:80]}")


def _object_pattern(schema: Mapping[str, Any], definitions: Mapping[str, Any], depth: int) -> str:
    """Every property, in order (as the model is shown them), ``json.dumps`` separators."""
    parts = [
        re.escape(json.dumps(name)) + ": " + value_pattern(prop, definitions, depth)
        for name, prop in schema.get("properties", {}).items()
    ]
    return r"\{" + ", ".join(parts) + r"\}"


def _string_pattern(prop: Mapping[str, Any]) -> str:
    """A JSON string; with a ``pattern`` (``^[0-9+*/() -]+$``) its characters follow it,
    when it cannot write a quote, a backslash or a control character (which JSON escapes)."""
    pattern = prop.get("pattern")
    if isinstance(pattern, str):
        inner = _anchored_inner(pattern)
        if inner is not None and _plain_characters(inner):
            return f'"(?:{inner})"'
    return _STRING


def _anchored_inner(pattern: str) -> str | None:
    """``pattern`` without its ``^``/``$`` anchors; None unless it is anchored at both ends
    (an unanchored JSON-schema pattern matches anywhere in the string)."""
    if pattern.startswith("^") and pattern.endswith("$") and not pattern.endswith("\\$"):
        inner = pattern[1:-1]
        try:
            re.compile(inner)
        except re.error:
            return None
        return inner or None
    return None


def _plain_characters(pattern: str) -> bool:
    try:
        from ..constraints.pattern_atoms import can_match_char
    except ImportError:  # pragma: no cover - structured output is part of the package
        return False
    return not any(can_match_char(pattern, c) for c in ('"', "\\", "\x00", "\n"))
