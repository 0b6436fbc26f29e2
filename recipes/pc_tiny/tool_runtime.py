"""The two tools of the text tool protocol, as the curriculum and its evaluation run them.

Every observation in a training transcript is what :func:`run_action` returns for that
action, errors included, so the model learns the real tools' replies.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from promptcraft.agents.arithmetic import calculate

__all__ = ["TOOL_SPECS", "ToolSpec", "calculate", "run_action"]

ToolSpec = dict[str, Any]

# What the prompt shows of each tool: ``name: description. args: {json}``.
TOOL_SPECS: dict[str, ToolSpec] = {
    "calculator": {
        "name": "calculator",
        "description": "evaluate an arithmetic expression",
        "args": {"expression": "string"},
    },
    "lookup": {
        "name": "lookup",
        "description": "look up a price or an age by its key",
        "args": {"key": "string"},
    },
}


def run_action(action: Any, table: Mapping[str, str], tools: Sequence[str]) -> str:
    """The observation for one parsed action line: the tool's result, or an error message
    that says how to fix the call. ``table`` is what ``lookup`` knows; ``tools`` the names
    the prompt offered."""
    if not (isinstance(action, dict) and set(action) == {"tool", "args"}):
        return 'error: write the action as {"tool": name, "args": {...}}'
    name = action["tool"]
    if name not in tools:
        return f"error: unknown tool '{name}'; use one of: {', '.join(tools)}"
    args = action["args"]
    expected = TOOL_SPECS[name]["args"]
    if not (isinstance(args, dict) and set(args) == set(expected)):
        return f"error: {name} takes args {json.dumps(expected)}"
    value = next(iter(args.values()))
    if not isinstance(value, str):
        return f"error: {name} takes args {json.dumps(expected)}"
    if name == "calculator":
        try:
            return calculate(value)
        except ZeroDivisionError:
            return "error: division by zero"
        except ValueError:
            return f"error: invalid expression '{value}'"
    if value not in table:
        return f"error: no entry for '{value}'"
    return table[value]
