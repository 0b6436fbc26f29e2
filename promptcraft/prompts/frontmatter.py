"""Splitting a ``.prompt`` file into YAML front matter and a Jinja body, keeping line numbers.

A ``.prompt`` file is::

    ---
    name: summarize
    kind: prefix
    ---
    Summarize ...

The YAML is parsed once into data plus a map from keys (``"inputs"``, ``"inputs.text"``,
``"examples[2]"``) to their line in the *file*, so every later error can point at its line.

Parses are cached by text (not by file mtime, which ticks too coarsely to see every edit):
YAML parsing takes milliseconds, and the same files are read again and again, by
``load_prompt`` and as the parents of other templates. Every caller gets its own copy of the
data, so changing it changes no one else's.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import yaml

from ..errors import TemplateSyntaxError

__all__ = ["FrontMatter", "read_front_matter"]


@dataclass(frozen=True)
class FrontMatter:
    """The parts of a ``.prompt`` file."""

    path: str
    data: dict[str, Any]
    body: str
    body_line: int  # the file line the body starts on
    lines: dict[str, int] = field(default_factory=dict)

    def line_of(self, key: str, default: int = 1) -> int:
        """The file line of a key path such as ``"inputs.text"`` or ``"samples[0]"``."""
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key.rpartition("[")[0] if key.endswith("]") else key.rpartition(".")[0]
        return default


# Larger texts (megabytes of inline examples) are parsed every time rather than kept.
_CACHED_TEXT_CHARS = 256_000


def read_front_matter(text: str, path: str) -> FrontMatter:
    """Split and parse ``text``; raise :class:`TemplateSyntaxError` with the file line."""
    if len(text) > _CACHED_TEXT_CHARS:
        return _parse(text, path)
    front = _cached_parse(text, path)
    return dataclasses.replace(front, data=copy.deepcopy(front.data), lines=dict(front.lines))


def _parse(text: str, path: str) -> FrontMatter:
    lines = text.removeprefix("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise TemplateSyntaxError(
            "a .prompt file starts with a '---' line, then YAML front matter "
            "(at least 'name:'), then another '---' line",
            template=path,
            line=1,
        )
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() == "---"), None)
    if end is None:
        raise TemplateSyntaxError(
            "the front matter is not closed: add a '---' line before the body",
            template=path,
            line=1,
        )
    loader = yaml.SafeLoader("".join(lines[1:end]))
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 2 if mark is not None else 1
        raise TemplateSyntaxError(
            f"invalid YAML front matter: {exc.problem or exc.context}", template=path, line=line
        ) from exc
    except yaml.YAMLError as exc:
        raise TemplateSyntaxError(
            f"invalid YAML front matter: {exc}", template=path, line=1
        ) from exc
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise TemplateSyntaxError(
            "the front matter must be a YAML mapping of keys (name:, kind:, ...)",
            template=path,
            line=2,
        )
    positions: dict[str, int] = {}
    if isinstance(node, yaml.MappingNode):
        _record(node, "", positions, depth=0, path=path)
    return FrontMatter(
        path=path, data=data, body="".join(lines[end + 1 :]), body_line=end + 2, lines=positions
    )


_cached_parse = functools.lru_cache(maxsize=128)(_parse)


def _record(node: yaml.Node, prefix: str, out: dict[str, int], *, depth: int, path: str) -> None:
    if depth > 3:
        return
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            line = key_node.start_mark.line + 2
            if depth == 0 and key in seen:
                raise TemplateSyntaxError(
                    f"front-matter key {key!r} appears twice", template=path, line=line
                )
            seen.add(key)
            full = f"{prefix}.{key}" if prefix else key
            out[full] = line
            _record(value_node, full, out, depth=depth + 1, path=path)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            full = f"{prefix}[{i}]"
            out[full] = item.start_mark.line + 2
            _record(item, full, out, depth=depth + 1, path=path)
