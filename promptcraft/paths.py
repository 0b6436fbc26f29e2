"""Where the bundled templates/ and models/ live, editable install or wheel alike."""

from __future__ import annotations

from pathlib import Path

__all__ = ["bundled_models_dir", "bundled_templates_dir"]

_PACKAGE = Path(__file__).resolve().parent


def _bundled(name: str) -> Path:
    # A wheel carries a copy under promptcraft/_bundled/ (see setup.py); an editable
    # install reads the repository's top-level folder directly.
    installed = _PACKAGE / "_bundled" / name
    if installed.is_dir():
        return installed
    return _PACKAGE.parent / name


def bundled_templates_dir() -> Path:
    """The bundled `.prompt` library, always on the template search path."""
    return _bundled("templates")


def bundled_models_dir() -> Path:
    """The folder that holds the bundled model(s)."""
    return _bundled("models")
