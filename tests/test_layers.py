"""The packages import downward only, with no cycles (the order is in the README's Layout
section and ``benchmarks/architecture.py``, whose ``--check`` this runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_no_package_imports_a_higher_layer_and_none_form_a_cycle(repo_root: Path) -> None:
    script = repo_root / "benchmarks" / "architecture.py"
    run = subprocess.run(
        [sys.executable, str(script), "--check", "--tree", str(repo_root)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
