"""A safe arithmetic evaluator: Python's parser, a whitelist of operators, and bounds.

No ``eval``: the expression is parsed to an AST and only number literals, ``+ - * / // %``,
``**`` with a small integer exponent, unary signs and parentheses are evaluated. Numbers may
group their thousands with commas as people write them (``7,245``), since a model copies
them from the question so. The text is
at most ``max_length`` characters and every intermediate result at most ``max_magnitude``,
so no input can make it run long or build huge numbers. The bundled model was trained on
this calculator's answers (``36``, ``2.5``), so their format is part of the protocol.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from collections.abc import Callable
from typing import Any

__all__ = ["MAX_EXPONENT", "MAX_LENGTH", "MAX_MAGNITUDE", "calculate"]

MAX_LENGTH = 100
MAX_MAGNITUDE = 10**12
MAX_EXPONENT = 64
# "7,245" and "1,250,000", not "1,25" or "3.1,000": anything else with a comma stays invalid
_GROUPED_NUMBER = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")

_OPERATORS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
}


def calculate(
    expression: str, *, max_length: int = MAX_LENGTH, max_magnitude: int = MAX_MAGNITUDE
) -> str:
    """The value of an arithmetic expression, as text: ``"36"``, ``"2.5"`` (floats with at
    most four decimals, whole floats as integers). Raises ``ValueError`` for anything that is
    not arithmetic or out of bounds, and ``ZeroDivisionError``."""
    if len(expression) > max_length:
        raise ValueError(f"expression too long (more than {max_length} characters)")
    plain = _GROUPED_NUMBER.sub(lambda number: number[0].replace(",", ""), expression.strip())
    try:
        tree = ast.parse(plain, mode="eval")
    except SyntaxError as exc:
        raise ValueError(str(exc)) from None
    value = _Evaluator(max_magnitude).evaluate(tree.body)
    if isinstance(value, float):
        if value.is_integer():
            value = int(value)
        else:
            return f"{value:.4f}".rstrip("0")
    return str(value)


class _Evaluator:
    def __init__(self, max_magnitude: int):
        self.max_magnitude = max_magnitude

    def evaluate(self, node: ast.AST) -> int | float:
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            if isinstance(node.value, bool):
                raise ValueError("not a number")
            return self._bounded(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            value = self.evaluate(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            return self._power(self.evaluate(node.left), self.evaluate(node.right))
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            left, right = self.evaluate(node.left), self.evaluate(node.right)
            return self._bounded(_OPERATORS[type(node.op)](left, right))
        raise ValueError(f"unsupported syntax: {type(node).__name__}")

    def _power(self, base: int | float, exponent: int | float) -> int | float:
        if isinstance(exponent, float) and not exponent.is_integer():
            raise ValueError("exponents must be whole numbers")
        exponent = int(exponent)
        if abs(exponent) > MAX_EXPONENT:
            raise ValueError(f"exponent too large (at most {MAX_EXPONENT})")
        # Checked before computing, so 9**64 is never built only to be refused.
        if abs(base) > 1 and exponent * math.log10(abs(base)) > math.log10(self.max_magnitude):
            raise ValueError("result too large")
        return self._bounded(base**exponent)

    def _bounded(self, value: Any) -> int | float:
        if isinstance(value, complex):
            raise ValueError("not a real number")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("result too large")
        if abs(value) > self.max_magnitude:
            raise ValueError("result too large")
        return value
