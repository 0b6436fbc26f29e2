"""Opt-in clean-up of rendered prompts.

A template turns it on in its front matter with ``normalize: true`` (every step) or a list of
steps, e.g. ``normalize: [newlines, trailing_spaces]``. It applies to the rendered text (each
message's content for chat prompts), template text and input values alike. Steps always run in
this order, whatever order they are listed in:

``newlines``         ``\\r\\n`` and lone ``\\r`` become ``\\n``.
``control_chars``    control characters other than ``\\n`` and ``\\t`` are removed.
``nfc``              Unicode NFC: composed and decomposed accents become the same code points.
``trailing_spaces``  spaces and tabs at the end of each line are removed.
``blank_lines``      runs of two or more blank lines become one blank line.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

__all__ = ["NORMALIZE_STEPS", "normalize_text", "parse_normalize"]

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_TRAILING = re.compile(r"[ \t]+(?=[\r\n]|\Z)")
_BLANK_RUNS = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")

_STEPS: dict[str, Callable[[str], str]] = {
    "newlines": lambda s: s.replace("\r\n", "\n").replace("\r", "\n"),
    "control_chars": lambda s: _CONTROL.sub("", s),
    "nfc": lambda s: unicodedata.normalize("NFC", s),
    "trailing_spaces": lambda s: _TRAILING.sub("", s),
    "blank_lines": lambda s: _BLANK_RUNS.sub("\n\n", s),
}

NORMALIZE_STEPS: tuple[str, ...] = tuple(_STEPS)


def parse_normalize(value: bool | str | Iterable[str] | None) -> tuple[str, ...]:
    """The steps a ``normalize`` setting asks for, in the order they run."""
    if value is None or value is False:
        return ()
    if value is True:
        return NORMALIZE_STEPS
    wanted = {value} if isinstance(value, str) else set(value)
    unknown = sorted(wanted - set(_STEPS))
    if unknown:
        raise ValueError(
            f"unknown normalize step(s) {', '.join(map(repr, unknown))}; "
            f"expected true, false or a list of: {', '.join(NORMALIZE_STEPS)}"
        )
    return tuple(step for step in NORMALIZE_STEPS if step in wanted)


def normalize_text(text: str, steps: Iterable[str] = NORMALIZE_STEPS) -> str:
    """Apply the given normalization steps (in their fixed order) to ``text``."""
    chosen = set(steps)
    for name, step in _STEPS.items():
        if name in chosen:
            text = step(text)
    return text
