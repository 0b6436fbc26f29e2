"""A library of ``.prompt`` templates found by name in a list of folders.

>>> lib = PromptLibrary()            # the bundled templates only
>>> "summarize" in lib.names()
True

A template's name is its path under a folder without ``.prompt`` (``agents/react`` for
``agents/react.prompt``). Folders given first shadow later ones; the bundled ``templates/``
folder is always last. ``layouts/`` holds layouts, not prompts, and is not listed.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import TemplateNotFoundError
from ..utils.paths import bundled_templates_dir
from ..utils.suggestions import did_you_mean
from .guards import RenderLimits
from .loader import check_template_name
from .promptfile import load_prompt
from .template import PromptTemplate

__all__ = ["PromptLibrary"]


class PromptLibrary:
    """Named ``.prompt`` templates from ``dirs`` and the bundled library."""

    def __init__(self, *dirs: str | Path, limits: RenderLimits | None = None) -> None:
        roots = [Path(d).resolve() for d in dirs]
        bundled = bundled_templates_dir().resolve()
        if bundled not in roots:
            roots.append(bundled)
        self.dirs: tuple[Path, ...] = tuple(roots)
        self.limits = limits
        self._cache: dict[str, PromptTemplate] = {}

    def __repr__(self) -> str:
        return f"PromptLibrary({', '.join(str(d) for d in self.dirs)})"

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self._find(name) is not None

    def names(self) -> list[str]:
        """Every template name, sorted."""
        found: set[str] = set()
        for root in self.dirs:
            if root.is_dir():
                for path in root.rglob("*.prompt"):
                    rel = path.relative_to(root)
                    if rel.parts[0] != "layouts" and not any(p.startswith(".") for p in rel.parts):
                        found.add(rel.with_suffix("").as_posix())
        return sorted(found)

    def path(self, name: str) -> Path:
        """The file of template ``name``."""
        found = self._find(name)
        if found is None:
            hint = did_you_mean(name, self.names(), n=3)
            hint = f"; {hint}" if hint else ""
            raise TemplateNotFoundError(
                f"no template named {name!r} in {', '.join(map(str, self.dirs))}{hint}"
            )
        return found

    def get(self, name: str) -> PromptTemplate:
        """The template called ``name``, loaded once and cached."""
        cached = self._cache.get(name)
        if cached is None:
            path = self.path(name)
            cached = load_prompt(path, search_path=self.dirs, limits=self.limits)
            self._cache[name] = cached
        return cached

    def _find(self, name: str) -> Path | None:
        parts = check_template_name(f"{name}.prompt")
        for root in self.dirs:
            candidate = root.joinpath(*parts)
            if candidate.is_file() and candidate.resolve().is_relative_to(root):
                return candidate
        return None
