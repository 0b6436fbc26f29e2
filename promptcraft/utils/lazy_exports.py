"""PEP 562 lazy re-exports, the one convention of every package ``__init__``.

A package's public names are listed once, as the imports of its ``__init__.pyi`` stub (the
scientific-python SPEC 1 layout): type checkers and IDEs read the stub, and at run time the
same imports become a ``name -> defining module`` map whose modules load on first access. So
importing a package stays cheap (no torch, no starlette) until something heavy is used.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["attach_stub"]


def attach_stub(
    package: str, init_file: str, namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]], list[str]]:
    """The ``__getattr__``, ``__dir__`` and ``__all__`` of ``package``, read from the
    ``__init__.pyi`` beside ``init_file``."""
    exports = _stub_exports(package, Path(init_file).with_suffix(".pyi"))

    def __getattr__(name: str) -> Any:
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value  # later lookups skip __getattr__
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__, sorted(exports)


# ``from .module import A as A, B as B`` (parenthesised over lines or not): the only
# statements a package stub holds. A regex, not ``ast``, keeps ``import promptcraft`` quick.
_IMPORT = re.compile(r"^from (\.+)([\w.]*) import (?:\(([^()]*)\)|(.*))$", re.MULTILINE)


def _stub_exports(package: str, stub: Path) -> dict[str, str]:
    exports: dict[str, str] = {}
    for dots, module, grouped, inline in _IMPORT.findall(stub.read_text(encoding="utf-8")):
        base = package.split(".")
        base = base[: len(base) - (len(dots) - 1)]
        target = ".".join(base + ([module] if module else []))
        for alias in (grouped or inline).split(","):
            name = alias.split(" as ")[-1].strip()
            if name:
                exports[name] = target
    return exports
