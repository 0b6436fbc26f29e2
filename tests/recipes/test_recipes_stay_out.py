"""``recipes/`` is how our models are made, not part of the runtime: the package never
imports it, and the wheel's package discovery leaves it out."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def test_no_promptcraft_module_imports_the_recipes(repo_root: Path) -> None:
    sources = [
        *(repo_root / "promptcraft").rglob("*.py"),
        *(repo_root / "promptcraft").rglob("*.pyi"),
    ]
    offenders = {
        str(path.relative_to(repo_root)): sorted(
            name for name in _imported(path) if name == "recipes" or name.startswith("recipes.")
        )
        for path in sources
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_wheel_finds_only_promptcraft_packages(repo_root: Path) -> None:
    tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later
    config = tomllib.loads((repo_root / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["setuptools"]["packages"]["find"]["include"] == ["promptcraft*"]
