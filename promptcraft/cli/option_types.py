"""Value types of numeric options: a bad value fails while the arguments parse, naming the
option (``argument --max-tokens: expected a whole number of at least 1, got 0``), before any
model loads."""

from __future__ import annotations

import argparse

__all__ = [
    "TEMPERATURE_MAX",
    "fraction",
    "non_negative_int",
    "port",
    "positive_float",
    "positive_int",
    "temperature",
    "top_p",
]

# OpenAI's documented range; above it the bundled model only samples noise.
TEMPERATURE_MAX = 2.0


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def positive_int(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {value}")
    return value


def non_negative_int(text: str) -> int:
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 0, got {value}")
    return value


def port(text: str) -> int:
    value = _whole_number(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(
            f"expected a port from 0 to 65535 (0 picks a free one), got {value}"
        )
    return value


def positive_float(text: str) -> float:
    value = _number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a number above 0, got {text}")
    return value


def temperature(text: str) -> float:
    value = _number(text)
    if not 0 <= value <= TEMPERATURE_MAX:
        raise argparse.ArgumentTypeError(
            f"expected a number from 0 (greedy) to {TEMPERATURE_MAX:g}, got {text}"
        )
    return value


def top_p(text: str) -> float:
    value = _number(text)
    if not 0 < value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number above 0 and at most 1, got {text}")
    return value


def fraction(text: str) -> float:
    value = _number(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value
