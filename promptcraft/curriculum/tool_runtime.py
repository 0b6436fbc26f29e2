"""The two tools of the text tool protocol, as the curriculum and its evaluation run them.

Every observation in a training transcript is what :func:`run_action` returns for that
action, errors included, so the model learns the real tools' replies.
"""

from __future__ import annotations

import ast
import json
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

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

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
}
_MAX_EXPRESSION = 100


def calculate(expression: str) -> str:
    """The value of ``+ - * /`` and parentheses over numbers, as text (``"36"``, ``"2.5"``).
    Raises ``ValueError`` for anything else and ``ZeroDivisionError``."""
    if len(expression) > _MAX_EXPRESSION:
        raise ValueError("expression too long")
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError as exc:
        raise ValueError(str(exc)) from None
    value = _evaluate(tree.body)
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return f"{value:.4f}".rstrip("0")
    return str(value)


def _evaluate(node: ast.AST) -> int | float:
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
        if isinstance(node.value, bool):
            raise ValueError("not a number")
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _evaluate(node.operand)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        result = _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
        if abs(result) > 10**12:
            raise ValueError("result too large")
        return result
    raise ValueError(f"unsupported syntax: {type(node).__name__}")


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
