"""``promptcraft models``: the local models, where each comes from and whether it is here."""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

from ..errors import ModelLoadError
from ..nn.catalog import SMOLLM2_SHA256, LocalModelInfo, local_models, reinstall_hint

__all__ = ["register"]

_EPILOG = """\
examples:
  promptcraft models                 the table: name, installed, size, licence, source
  promptcraft models --json          the same as JSON, for scripts
  promptcraft models --verify        check the installed SmolLM2 file's sha256 (make does)"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    models = sub.add_parser(
        "models",
        help="list the local models (size, source, licence, installed or not)",
        description=(
            "List the local models promptcraft loads by name (--backend NAME, --model NAME,\n"
            "load_backend('NAME')): whether each is installed, its size, licence and source,\n"
            "and the command that installs it."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    models.add_argument("--json", action="store_true", help="print JSON instead of a table")
    models.add_argument(
        "--verify",
        action="store_true",
        help="check that SmolLM2's GGUF file is installed and matches its published sha256",
    )
    models.set_defaults(handler=_models)


def _models(args: argparse.Namespace) -> int:
    infos = local_models()
    if args.verify:
        return _verify(next(info for info in infos if info.name == "smollm2"))
    if args.json:
        print(json.dumps([info.model_dump(mode="json") for info in infos], indent=2))
        return 0
    rows = [("NAME", "INSTALLED", "SIZE", "PARAMS", "LICENCE", "SOURCE")]
    for info in infos:
        name = info.name + (" (default)" if info.default else "")
        size = f"{info.size_bytes / 1e6:.0f} MB" if info.size_bytes is not None else "-"
        here = "yes" if info.installed else "no"
        rows.append((name, here, size, info.parameters, info.license, info.source))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), end=""
        )
        print("  " + row[-1])
    for info in infos:
        if info.installed:
            print(f"\n{info.name}: {info.path}", end="")
        else:
            print(f"\n{info.name}: not installed; install it with: {info.install}", end="")
    print()
    return 0


def _verify(info: LocalModelInfo) -> int:
    if info.path is None:
        raise ModelLoadError(f"SmolLM2-135M-Instruct is not installed; {info.install}")
    digest = _sha256(info.path)
    if digest != SMOLLM2_SHA256:
        raise ModelLoadError(
            f"{info.path} has sha256 {digest}, not the published {SMOLLM2_SHA256}: the file is "
            f"damaged or not the one promptcraft was tested with. {reinstall_hint(info.name)}",
            path=str(info.path),
        )
    print(f"{info.path}: sha256 {digest} OK")
    return 0


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
