"""The "did you mean ...?" of error messages about a misspelt name."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(name: str, known: Iterable[str], *, n: int = 1) -> str:
    """``"did you mean 'x'?"`` with the (up to ``n``) known names closest to ``name``, or
    ``""`` when none is close."""
    close = difflib.get_close_matches(name, list(known), n=n)
    if not close:
        return ""
    quoted = [repr(c) for c in close]
    shown = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"did you mean {shown}?"
