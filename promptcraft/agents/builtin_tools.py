"""Built-in tools for examples and tests, each safe by construction.

- :data:`calculator`: arithmetic through the whitelisted AST evaluator
  (:mod:`promptcraft.arithmetic`);
- :func:`lookup`: a tool over a table given at construction (nothing else is reachable);
- :data:`today`: the current date.

Their names, descriptions and error messages are the ones the bundled model was trained on
(``calculator: evaluate an arithmetic expression. args: {"expression": "string"}``), so it
uses them well offline.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from ..arithmetic import calculate
from ..errors import ToolError
from .tools import Tool

__all__ = ["calculator", "lookup", "today"]


def _calculator(expression: str) -> str:
    """Evaluate an arithmetic expression.

    Args:
        expression: Numbers with + - * / // % ** and parentheses, such as "12*3-5".
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


def lookup(
    table: Mapping[str, object],
    *,
    name: str = "lookup",
    description: str = "look up a value by its key",
) -> Tool:
    """A tool that answers ``table[key]`` (as text) and nothing else. A missing key is an
    observation the model can react to: ``error: no entry for 'pens'``.

    ``lookup(prices, description="look up a price or an age by its key")`` reads as the
    bundled model's training did."""
    entries = {str(key): str(value) for key, value in table.items()}

    def _lookup(key: str) -> str:
        """Look up a value by its key.

        Args:
            key: The exact key, such as "pen".
        """
        if key not in entries:
            raise ToolError(f"no entry for '{key}'", tool=name)
        return entries[key]

    return Tool(_lookup, name=name, description=description, timeout=5.0)


def _today() -> str:
    """Today's date, as YYYY-MM-DD (the machine's local date)."""
    return datetime.date.today().isoformat()


today = Tool(_today, name="today", description="today's date, as YYYY-MM-DD", timeout=5.0)
