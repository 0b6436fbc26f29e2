"""Where the bundled templates/ and models/ live, editable install or wheel alike; and the
permissions of the files we write."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = [
    "BUNDLED_MODEL_RESTORE_HINT",
    "bundled_models_dir",
    "bundled_templates_dir",
    "with_umask_mode",
]

BUNDLED_MODEL_RESTORE_HINT = (
    "Restore it with `git checkout -- models/` (and `git lfs pull` if its files are Git LFS "
    "pointers) in a source checkout, or reinstall promptcraft; or load another model by its "
    "path (load_backend('local:PATH'))."
)

_PACKAGE = Path(__file__).resolve().parent.parent


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
    """The folder that holds pc-tiny and the bundled adapters (see :mod:`..nn.catalog`)."""
    return _bundled("models")


def with_umask_mode(path: str | os.PathLike[str]) -> None:
    """Give ``path`` the mode a file created by ``open()`` would have (0666 less the umask).
    safetensors writes 0600 files, which other users (a server's account) cannot read."""
    umask = os.umask(0)  # the only way to read it; set back at once
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)
