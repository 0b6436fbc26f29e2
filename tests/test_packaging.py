"""A plain (non-editable) install carries the bundled templates/ and models/."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def test_wheel_carries_bundled_templates_and_model(repo_root: Path, tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "-q",
            "-w",
            str(tmp_path),
            str(repo_root),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("promptcraft-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for template in (repo_root / "templates").rglob("*.prompt"):
        relative = template.relative_to(repo_root).as_posix()
        assert f"promptcraft/_bundled/{relative}" in names
    assert "promptcraft/_bundled/models/pc-tiny/model.safetensors" in names
    assert "promptcraft/py.typed" in names
    for stub in (repo_root / "promptcraft").rglob("__init__.pyi"):  # each package's names
        assert stub.relative_to(repo_root).as_posix() in names
    python = {name for name in names if name.endswith(".py")}
    assert {n for n in python if not n.startswith("promptcraft/")} == set()  # no recipes/
    assert {n for n in python if "/curriculum/" in n or n.endswith("bpe_training.py")} == set()
