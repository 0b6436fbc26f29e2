"""Recover tool calls that a model wrote as plain text instead of native tool calls.

Local servers (llama.cpp, Ollama, vLLM without a tool parser) often return a model's tool
call as message text. Four shapes are recognised:

- promptcraft's text protocol: ``Action: {"tool": "calculator", "args": {...}}``;
- Hermes / Qwen: ``<tool_call>{"name": "calculator", "arguments": {...}}</tool_call>``;
- ReAct: ``Action: calculator`` then ``Action Input: {...}``;
- a message that is only a JSON object (optionally in a code fence) naming a known tool,
  ``{"name": ..., "arguments": ...}`` (or ``tool``/``args``, ``function``/``parameters``).

The first three are explicit markers, so any tool name counts (an unknown one becomes an
error the model can fix); a bare JSON object must name one of the offered tools, since it may
well be the answer itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from typing import Any

__all__ = ["RecoveredCall", "recover_tool_calls"]

RecoveredCall = tuple[str, dict[str, Any] | None, str]  # (name, arguments or None, raw text)

_ACTION_JSON = re.compile(r"^\s*Action:\s*(\{.*\})\s*$", re.M)
_HERMES = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.S)
_REACT = re.compile(r"^\s*Action:\s*([A-Za-z_][\w-]*)\s*\n\s*Action Input:\s*(.*)$", re.M)
_FENCE = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.S)
_NAME_KEYS = ("name", "tool", "function")
_ARG_KEYS = ("arguments", "args", "parameters")


def recover_tool_calls(text: str, tools: Collection[str]) -> list[RecoveredCall]:
    """The tool calls written in ``text``, in order; empty when there are none."""
    calls = [c for c in (_from_object(m.group(1)) for m in _ACTION_JSON.finditer(text)) if c]
    if calls:
        return calls
    calls = [c for c in (_from_object(m.group(1)) for m in _HERMES.finditer(text)) if c]
    if calls:
        return calls
    react = [(m.group(1), _object_or_none(m.group(2)), m.group(0)) for m in _REACT.finditer(text)]
    if react:
        return react
    body = text.strip()
    fenced = _FENCE.match(body)
    if fenced:
        body = fenced.group(1)
    call = _from_object(body) if body.startswith("{") else None
    if call is not None and call[0] in tools:
        return [call]
    return []


def _from_object(raw: str) -> RecoveredCall | None:
    value = _object_or_none(raw)
    if value is None:
        return None
    name = next((value[k] for k in _NAME_KEYS if isinstance(value.get(k), str)), None)
    if name is None:
        return None
    arguments: Any = next((value[k] for k in _ARG_KEYS if k in value), {})
    if isinstance(arguments, str):  # some models double-encode the arguments
        arguments = _object_or_none(arguments)
    return name, arguments if isinstance(arguments, dict) else None, raw


def _object_or_none(raw: str) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.strip())
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
