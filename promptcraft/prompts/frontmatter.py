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

import bisect
import copy
import dataclasses
import functools
import re
from collections.abc import Callable
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


# Line breaks as Jinja counts them. ``str.splitlines`` also splits at form feeds, U+2028 and
# other separators, which would shift every line number after one.
_LINE_ENDS = re.compile(r"(?<=\n)|(?<=\r)(?!\n)")
_NEWLINES = re.compile(r"\r\n|\r|\n")

# Aliases may repeat a value; more copies than this is a "billion laughs", not a prompt.
MAX_ALIAS_EXPANSION = 100_000


def _parse(text: str, path: str) -> FrontMatter:
    lines = [line for line in _LINE_ENDS.split(text.removeprefix("\ufeff")) if line]
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
    source = "".join(lines[1:end])

    # YAML counts U+2028 and friends as line breaks too; count the file's own lines.
    line_starts = [match.end() for match in _NEWLINES.finditer(source)]

    def line_at(index: int | None) -> int:
        return 1 if index is None else bisect.bisect_right(line_starts, index) + 2

    loader = None
    try:
        loader = yaml.SafeLoader(source)
        node = loader.get_single_node()
        if node is not None:
            _check_node(node, path, line_at)
        data = loader.construct_document(node) if node is not None else {}
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise TemplateSyntaxError(
            f"invalid YAML front matter: {exc.problem or exc.context}",
            template=path,
            line=line_at(mark.index if mark is not None else None),
        ) from exc
    except yaml.reader.ReaderError as exc:
        raise TemplateSyntaxError(
            f"invalid YAML front matter: character {_shown(exc.character)} is not allowed in YAML "
            "(escape it inside a double-quoted string)",
            template=path,
            line=line_at(exc.position),
        ) from exc
    except yaml.YAMLError as exc:
        raise TemplateSyntaxError(
            f"invalid YAML front matter: {exc}", template=path, line=1
        ) from exc
    except RecursionError:
        raise TemplateSyntaxError(
            "the YAML front matter is nested too deeply", template=path, line=2
        ) from None
    finally:
        if loader is not None:
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
        _record(node, "", positions, depth=0, line_at=line_at)
    return FrontMatter(
        path=path, data=data, body="".join(lines[end + 1 :]), body_line=end + 2, lines=positions
    )


def _check_node(root: yaml.Node, path: str, line_at: Callable[[int | None], int]) -> None:
    """Refuse what YAML accepts but a .prompt file must not hold: a key twice in one mapping
    (YAML keeps the last silently), a top-level key that is not a string (``yes:`` reads as
    True), and aliases that refer to themselves or multiply the data. Iterative, so deep
    nesting costs no stack."""
    expanded: dict[int, int] = {}  # node id -> values it stands for, aliases expanded
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        if finished:
            open_nodes.discard(id(node))
            expanded[id(node)] = 1 + sum(expanded[id(c)] for c in _children(node))
            continue
        if id(node) in expanded:
            continue
        if id(node) in open_nodes:
            raise TemplateSyntaxError(
                "a YAML alias (*name) refers to the value that contains it",
                template=path,
                line=line_at(node.start_mark.index),
            )
        open_nodes.add(id(node))
        if isinstance(node, yaml.MappingNode):
            _check_keys(node, node is root, path, line_at)
        stack.append((node, True))
        stack.extend((child, False) for child in _children(node))
    total = expanded[id(root)]
    if total > MAX_ALIAS_EXPANSION:
        raise TemplateSyntaxError(
            f"YAML aliases (*name) expand the front matter to {total:,} values, over the limit "
            f"of {MAX_ALIAS_EXPANSION:,}; write the data out instead of repeating aliases",
            template=path,
            line=2,
        )


def _check_keys(
    node: yaml.MappingNode, top: bool, path: str, line_at: Callable[[int | None], int]
) -> None:
    seen: set[tuple[str, Any]] = set()
    for key_node, _ in node.value:
        line = line_at(key_node.start_mark.index)
        if not isinstance(key_node, yaml.ScalarNode):
            if top:
                raise TemplateSyntaxError(
                    "a front-matter key must be a plain name, not a list or mapping",
                    template=path,
                    line=line,
                )
            continue
        if top and key_node.tag != "tag:yaml.org,2002:str":
            raise TemplateSyntaxError(
                f"front-matter key {key_node.value!r} does not read as a string; quote it",
                template=path,
                line=line,
            )
        key = (key_node.tag, key_node.value)
        if key in seen:
            where = "the front matter" if top else "the same mapping"
            raise TemplateSyntaxError(
                f"key {key_node.value!r} appears twice in {where}", template=path, line=line
            )
        seen.add(key)


def _shown(character: Any) -> str:
    return repr(chr(character)) if isinstance(character, int) else repr(character)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_cached_parse = functools.lru_cache(maxsize=128)(_parse)


def _record(
    node: yaml.Node,
    prefix: str,
    out: dict[str, int],
    *,
    depth: int,
    line_at: Callable[[int | None], int],
) -> None:
    if depth > 3:
        return
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            full = f"{prefix}.{key_node.value}" if prefix else str(key_node.value)
            out[full] = line_at(key_node.start_mark.index)
            _record(value_node, full, out, depth=depth + 1, line_at=line_at)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            full = f"{prefix}[{i}]"
            out[full] = line_at(item.start_mark.index)
            _record(item, full, out, depth=depth + 1, line_at=line_at)
