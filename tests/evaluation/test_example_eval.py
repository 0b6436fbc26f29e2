"""examples/eval runs (in reduced form) and its data is sound."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from promptcraft.evaluation import EvalReport, load_dataset

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eval"


def test_example_evaluation_runs_and_writes_its_reports(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = subprocess.run(
        [sys.executable, str(EXAMPLE / "run_eval.py"), "--limit", "2", "--out", str(tmp_path),
         "--quiet"],
        capture_output=True,
        text=True,
        timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    kinds = EvalReport.load_json(tmp_path / "kinds.json")
    assert [v.name for v in kinds.variants][:3] == [
        "prefix",
        "few_shot first_k k=0",
        "few_shot first_k k=1",
    ]
    assert (tmp_path / "kinds.png").is_file() and (tmp_path / "selection.png").is_file()
    assert "| variant | score |" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_example_rows_are_not_among_its_examples() -> None:
    pool = [json.loads(line) for line in (EXAMPLE / "pool.jsonl").read_text().splitlines()]
    shown = {example["input"] for example in pool}
    rows = load_dataset(EXAMPLE / "data.jsonl")
    assert not [row.where for row in rows if row.inputs["input"] in shown]


def test_example_answers_are_the_word_counts() -> None:
    rows = load_dataset(EXAMPLE / "data.jsonl")
    assert all(row.expected == str(len(row.inputs["input"].split())) for row in rows)
