"""Docs are runnable: every ```python block of the README runs, and so does every example."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO_ROOT / "examples").glob("*.py"))


def _python_blocks(markdown: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", markdown, flags=re.S | re.M)


def test_readme_python_snippets_run(tmp_path: Path) -> None:
    blocks = _python_blocks((REPO_ROOT / "README.md").read_text(encoding="utf-8"))
    assert blocks, "README.md has no ```python blocks"
    # The snippets form one tour: run them in order, in one namespace, from a scratch dir.
    namespace: dict[str, object] = {"__name__": "__readme__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        for i, block in enumerate(blocks, 1):
            exec(compile(block, f"README.md[python block {i}]", "exec"), namespace)
    finally:
        os.chdir(cwd)


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(example)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
