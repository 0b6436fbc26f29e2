"""Built-in tools for examples and tests, each safe by construction.

- :data:`calculator`: arithmetic through the whitelisted AST evaluator
  (:mod:`promptcraft.agents.arithmetic`);
- :func:`lookup`: a tool over a table given at construction (nothing else is reachable);
- :data:`today`: the current date.

Their names, descriptions and error messages are the ones pc-tiny was trained on
(``calculator: evaluate an arithmetic expression. args: {"expression": "string"}``), so it
uses them well offline. Their schemas also say what a valid argument looks like, so a
constrained turn (:mod:`.turn_grammar`) can only write one: the calculator's expression has
a ``pattern`` of digits, operators and parentheses, and a lookup's key an ``enum`` of its
table's keys (for tables of up to :data:`MAX_ENUM_KEYS` keys). Neither is enforced when the
arguments are validated: a bad expression or an unknown key still gets the observation the
model learned (``error: invalid expression '12 x 3'``, ``error: no entry for 'pens'``).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import Field

from ..errors import ToolError
from .arithmetic import calculate
from .tools import Tool

__all__ = ["EXPRESSION_PATTERN", "MAX_ENUM_KEYS", "LookupTool", "calculator", "lookup", "today"]

#: What an arithmetic expression is written with (the calculator accepts no other character).
EXPRESSION_PATTERN = r"^[0-9.,+\-*/%() ]+$"
#: Tables with more keys than this list none in the lookup's schema (it would grow too long).
MAX_ENUM_KEYS = 100


def _calculator(
    expression: Annotated[str, Field(json_schema_extra={"pattern": EXPRESSION_PATTERN})],
) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: Numbers with + - * / // % ** and parentheses, such as "12*3-5" or
            "7,245-3,867".
    """
    try:
        return calculate(expression)
    except ZeroDivisionError:
        raise ToolError("division by zero", tool="calculator") from None
    except ValueError:
        raise ToolError(f"invalid expression '{expression}'", tool="calculator") from None


calculator = Tool(
    _calculator, name="calculator", description="evaluate an arithmetic expression", timeout=5.0
)


class LookupTool(Tool):
    """A :func:`lookup` tool: ``keys`` are its table's keys, in order."""

    keys: tuple[str, ...] = ()


def lookup(
    table: Mapping[str, object],
    *,
    name: str = "lookup",
    description: str = "look up a value by its key",
) -> LookupTool:
    """A tool that answers ``table[key]`` (as text) and nothing else. A missing key is an
    observation the model can react to: ``error: no entry for 'pens'``.

    ``lookup(prices, description="look up a price or an age by its key")`` reads as
    pc-tiny's training did."""
    entries = {str(key): str(value) for key, value in table.items()}

    def _lookup(key: str) -> str:
        """Look up a value by its key.

        Args:
            key: The exact key, such as "pen".
        """
        if key not in entries:
            raise ToolError(f"no entry for '{key}'", tool=name)
        return entries[key]

    if entries and len(entries) <= MAX_ENUM_KEYS:
        schema: dict[str, Any] = {"enum": list(entries)}
        _lookup.__annotations__["key"] = Annotated[str, Field(json_schema_extra=schema)]
    tool = LookupTool(_lookup, name=name, description=description, timeout=5.0)
    tool.keys = tuple(entries)
    return tool


def _today() -> str:
    """Today's date, as YYYY-MM-DD (the machine's local date)."""
    return datetime.date.today().isoformat()


today = Tool(_today, name="today", description="today's date, as YYYY-MM-DD", timeout=5.0)
