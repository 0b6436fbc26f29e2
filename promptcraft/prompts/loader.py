"""Loading templates by name from a search path, and nowhere else.

A name is a relative, ``/``-separated path such as ``layouts/few_shot.jinja``. The loader
refuses, with :class:`~promptcraft.errors.TemplateSecurityError`, absolute names, ``..``,
backslashes, hidden segments, file types that are not templates, and any file whose real path
(after following symlinks) lies outside the root it was found under. So ``{% include %}``,
``{% extends %}`` and ``{% import %}`` can reach templates on the search path only.

``.prompt`` files load as their body, wrapped for their kind's layout (see
:func:`~promptcraft.prompts.compiler.wrap_body`), so one prompt can extend or include another.

Every load is stamped with the file the name resolved to and a digest of its text
(:class:`SourceStamp`); :meth:`SearchPathLoader.is_current` tells whether a stamp still holds,
so compiled code built from a file can be reused until the file, or what its name resolves
to, changes (see :mod:`.compile_cache`).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import NamedTuple

from jinja2 import BaseLoader, Environment, TemplateNotFound

from ..errors import PromptcraftError, TemplateSecurityError, TemplateSyntaxError
from .compiler import LAYOUTS, wrap_body
from .frontmatter import read_front_matter

__all__ = [
    "TEMPLATE_SUFFIXES",
    "SearchPathLoader",
    "SourceStamp",
    "check_template_name",
    "recording_loads",
]

TEMPLATE_SUFFIXES = frozenset({".prompt", ".jinja", ".j2", ".txt", ".md"})


def check_template_name(name: str) -> list[str]:
    """The segments of a safe template name; raise for anything that could leave the roots."""
    problem = None
    if not name or "\x00" in name:
        problem = "is empty or contains a NUL byte"
    elif "\\" in name:
        problem = "contains a backslash; use '/'"
    elif name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        problem = "is an absolute path; names are relative to the search path"
    else:
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if any(p == ".." for p in parts):
            problem = "contains '..'; templates cannot leave the search path"
        elif any(p.startswith(".") for p in parts):
            problem = "names a hidden file or folder"
        elif Path(name).suffix not in TEMPLATE_SUFFIXES:
            problem = f"is not a template file ({', '.join(sorted(TEMPLATE_SUFFIXES))})"
        else:
            return parts
    raise TemplateSecurityError(f"template name {name!r} {problem}")


class SourceStamp(NamedTuple):
    """What loading template ``name`` read: the file it resolved to and a digest of its text."""

    name: str
    path: Path
    digest: bytes


_LOADS: ContextVar[list[SourceStamp] | None] = ContextVar("promptcraft_loads", default=None)


@contextmanager
def recording_loads() -> Iterator[list[SourceStamp]]:
    """Collect the stamp of every template the loaders load in this context (the parents a
    compile merges in)."""
    loads: list[SourceStamp] = []
    token = _LOADS.set(loads)
    try:
        yield loads
    finally:
        _LOADS.reset(token)


class SearchPathLoader(BaseLoader):
    """Finds templates in an ordered list of root folders; the first match wins."""

    def __init__(self, roots: Sequence[str | Path]) -> None:
        self.roots: tuple[Path, ...] = tuple(Path(r).resolve() for r in roots)

    def find(self, name: str) -> Path:
        """The file a template name refers to."""
        parts = check_template_name(name)
        for root in self.roots:
            candidate = root.joinpath(*parts)
            if not candidate.is_file():
                continue
            real = candidate.resolve()
            if not real.is_relative_to(root):
                raise TemplateSecurityError(
                    f"template {name!r} is a link to {real}, outside the search path {root}"
                )
            return candidate
        raise TemplateNotFound(name)

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        path = self.find(template)
        text = path.read_text(encoding="utf-8")
        stamp = SourceStamp(template, path, _digest(text))
        loads = _LOADS.get()
        if loads is not None:
            loads.append(stamp)
        # A byte-order mark (editors on Windows write one) is not text of the prompt.
        text = text.removeprefix("\ufeff")
        if path.suffix == ".prompt":
            front = read_front_matter(text, str(path))
            kind = front.data.get("kind", "prefix")
            if kind not in LAYOUTS:
                raise TemplateSyntaxError(
                    f"unknown kind {kind!r}; expected one of {', '.join(LAYOUTS)}",
                    template=str(path),
                    line=front.line_of("kind"),
                )
            text = wrap_body(environment, front.body, kind, front.body_line)
        # Jinja asks only when told to (auto_reload is off); the environment asks before
        # reusing a runtime-loaded template for a newly built prompt.
        return text, str(path), functools.partial(self.is_current, stamp)

    def is_current(self, stamp: SourceStamp) -> bool:
        """Whether ``stamp.name`` still resolves to ``stamp.path`` and the file still holds
        the same text. Anything that keeps the name from loading counts as a change: the
        next load reports it."""
        try:
            path = self.find(stamp.name)
            return path == stamp.path and _digest(path.read_text(encoding="utf-8")) == stamp.digest
        except (OSError, UnicodeDecodeError, TemplateNotFound, PromptcraftError):
            return False

    def list_templates(self) -> list[str]:
        found: set[str] = set()
        for root in self.roots:
            for path in _walk(root):
                found.add(path.relative_to(root).as_posix())
        return sorted(found)


def _walk(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        rel = path.relative_to(root).parts
        hidden = any(p.startswith(".") for p in rel)
        if path.suffix in TEMPLATE_SUFFIXES and not hidden and path.is_file():
            yield path


def _digest(text: str) -> bytes:
    # Contents, not mtimes: an edit within one mtime tick that keeps the size is still seen.
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()
