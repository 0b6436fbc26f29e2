"""A bounded, thread-safe cache of compiled prompt templates.

Compiling a template (parse, merge its layouts, inline, guard, generate and compile Python)
takes milliseconds, and programs that build many templates from a few sources (the curriculum
builds thousands from a handful of layouts) would spend most of their time there. Each
:class:`~.environment.PromptEnvironment` holds one cache, and an environment serves exactly
one search path, so code compiled under one search path is never served for another.

The key is everything else the compiled code depends on (:func:`compile_key`):

* the Jinja source, i.e. the body as wrapped for its kind's layout;
* the template's name and file name, which the code carries for error messages;
* the constants folded in (the layout values), tagged with their types, since ``1``,
  ``1.0`` and ``True`` are equal keys but render differently.

Render limits are not in it: the guards read them from the render's state, never from the
code. The files merged in at compile time (layouts, parent ``.prompt`` files) can change on
disk, so an entry also carries a :class:`~.loader.SourceStamp` for each, and the environment
reuses an entry only while every stamp still holds: the same name resolves to the same file
with the same text. Stamps compare digests of the text rather than mtimes: mtimes tick
coarsely (a few ms, 1-2 s on some file systems), and an edit within one tick that keeps the
file size would go unseen; reading back a layout costs microseconds, a compile milliseconds.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import Template

from .loader import SourceStamp

__all__ = ["DEFAULT_COMPILE_CACHE_SIZE", "CompileCache", "CompiledPrompt", "compile_key"]

# Compiled templates weigh tens of kB each; environments are kept per search path (64 at most).
DEFAULT_COMPILE_CACHE_SIZE = 512

_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class CompiledPrompt:
    """A compiled template, the files it was built from, and the templates it loads when it
    renders (``None`` when a name is computed at render time, so any template may be)."""

    template: Template
    stamps: tuple[SourceStamp, ...]
    references: frozenset[str] | None


def compile_key(
    source: str,
    name: str,
    filename: str,
    constants: Mapping[str, Mapping[str, Any]] | None,
) -> Hashable | None:
    """The cache key of a compile, or ``None`` when a constant is not a plain scalar (such a
    compile is not cached rather than risk two unequal values sharing a key)."""
    folded: list[tuple[str, tuple[tuple[str, str, Any], ...]]] = []
    for variable, fields in sorted((constants or {}).items()):
        items = []
        for field, value in sorted(fields.items()):
            if not isinstance(value, _SCALARS):
                return None
            items.append((field, type(value).__name__, value))
        folded.append((variable, tuple(items)))
    return source, name, filename, tuple(folded)


class CompileCache:
    """A least-recently-used map from :func:`compile_key` to :class:`CompiledPrompt`,
    holding at most ``maxsize`` entries. Safe to share between threads: two threads that
    miss on the same key both compile, and the later result is kept."""

    def __init__(self, maxsize: int = DEFAULT_COMPILE_CACHE_SIZE) -> None:
        if maxsize < 1:
            raise ValueError(f"a compile cache needs room for at least one entry, not {maxsize}")
        self.maxsize = maxsize
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, CompiledPrompt] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"CompileCache({len(self)}/{self.maxsize} entries, "
            f"{self.hits} hits, {self.misses} misses)"
        )

    def get(
        self, key: Hashable, is_current: Callable[[CompiledPrompt], bool]
    ) -> CompiledPrompt | None:
        """The entry of ``key`` if ``is_current`` accepts it (it checks the files outside the
        lock); a stale entry is dropped."""
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and not is_current(entry):
            with self._lock:
                if self._entries.get(key) is entry:  # not replaced by a fresh one meanwhile
                    del self._entries[key]
            entry = None
        with self._lock:
            if entry is None:
                self.misses += 1
            else:
                self.hits += 1
                if key in self._entries:
                    self._entries.move_to_end(key)
        return entry

    def put(self, key: Hashable, entry: CompiledPrompt) -> None:
        """Store ``entry``, evicting the least recently used entries past ``maxsize``."""
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.maxsize:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
