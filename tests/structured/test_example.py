"""examples/structured_extraction.py runs offline and prints outputs that fit their schemas."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import regex

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "structured_extraction.py"


def test_structured_extraction_example_prints_valid_outputs(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLE)], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert sum("-> Person(" in line for line in lines) == 2
    assert any(regex.fullmatch(r"sentiment: (positive|negative)", line) for line in lines)
    assert any(regex.fullmatch(r"reference: [A-Z]{3}-[0-9]{4}", line) for line in lines)
