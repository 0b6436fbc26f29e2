"""Read a tool's description and its arguments' descriptions from its docstring.

Two common styles are understood; anything else gives the whole docstring as the
description and no argument descriptions::

    def f(city: str, days: int = 3):          def f(city: str, days: int = 3):
        '''Forecast the weather.                  '''Forecast the weather.

        Args:                                     Parameters
            city: The city's name.                ----------
            days (int): How many days,            city : str
                at most 10.                           The city's name.
        '''                                       days : int
                                                      How many days.
                                                  '''
"""

from __future__ import annotations

import inspect
import re

from pydantic import BaseModel

__all__ = ["Docstring", "parse_docstring"]

# Google-style section headers that end the argument list.
_GOOGLE_SECTIONS = (
    "args",
    "arguments",
    "parameters",
    "params",
    "returns",
    "return",
    "yields",
    "raises",
    "examples",
    "example",
    "notes",
    "note",
    "see also",
    "attributes",
)
_GOOGLE_ARGS = ("args", "arguments", "parameters", "params")
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_RULE = re.compile(r"^-{3,}\s*$")


class Docstring(BaseModel):
    """The description (the text before any section) and each argument's description."""

    description: str
    arguments: dict[str, str]


def parse_docstring(doc: str | None) -> Docstring:
    """Split a Google- or numpy-style docstring into its description and argument notes."""
    if not doc:
        return Docstring(description="", arguments={})
    lines = inspect.cleandoc(doc).splitlines()
    numpy = _numpy_sections(lines)
    if numpy is not None:
        return numpy
    return _google(lines)


def _google(lines: list[str]) -> Docstring:
    description: list[str] = []
    arguments: dict[str, str] = {}
    section: str | None = None
    current: str | None = None
    for line in lines:
        stripped = line.strip()
        header = stripped.rstrip(":").lower()
        if stripped.endswith(":") and header in _GOOGLE_SECTIONS and not line.startswith(" "):
            section, current = header, None
            continue
        if section is None:
            description.append(line)
        elif section in _GOOGLE_ARGS:
            item = _GOOGLE_ITEM.match(stripped)
            indent = len(line) - len(line.lstrip())
            if item and (current is None or indent <= _indent_of_items(lines, section)):
                current = item.group(1).lstrip("*")
                arguments[current] = item.group(2).strip()
            elif current is not None and stripped:
                arguments[current] = f"{arguments[current]} {stripped}".strip()
    return Docstring(description=_join(description), arguments=arguments)


def _indent_of_items(lines: list[str], section: str) -> int:
    """The indentation of the first item under the section header."""
    seen = False
    for line in lines:
        if seen and line.strip():
            return len(line) - len(line.lstrip())
        if line.strip().rstrip(":").lower() == section:
            seen = True
    return 0


def _numpy_sections(lines: list[str]) -> Docstring | None:
    """A numpy-style docstring (headers underlined with dashes), or None if not one."""
    headers = [
        i for i in range(1, len(lines)) if _NUMPY_RULE.match(lines[i]) and lines[i - 1].strip()
    ]
    if not headers:
        return None
    description = _join(lines[: headers[0] - 1])
    arguments: dict[str, str] = {}
    for n, rule in enumerate(headers):
        name = lines[rule - 1].strip().lower()
        end = headers[n + 1] - 1 if n + 1 < len(headers) else len(lines)
        if name not in ("parameters", "params", "arguments", "args", "other parameters"):
            continue
        current: str | None = None
        for line in lines[rule + 1 : end]:
            if line.strip() and not line.startswith((" ", "\t")):
                current = line.split(":", 1)[0].strip().lstrip("*")
                arguments[current] = ""
            elif current is not None and line.strip():
                arguments[current] = f"{arguments[current]} {line.strip()}".strip()
    return Docstring(description=description, arguments=arguments)


def _join(lines: list[str]) -> str:
    """Paragraph text as one line per paragraph, without surrounding blank lines."""
    paragraphs = "\n".join(lines).strip().split("\n\n")
    return "\n".join(" ".join(p.split()) for p in paragraphs if p.strip())
