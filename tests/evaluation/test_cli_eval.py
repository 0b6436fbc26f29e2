"""``promptcraft eval`` on the bundled model."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from promptcraft.cli import main

PROMPT = """---
name: count
kind: few_shot
examples:
  - {input: cat dog, output: "2"}
  - {input: sun moon star, output: "3"}
defaults: {max_tokens: 4, stop: ["\\n"]}
---
"""


# pc-tiny: fast, and the few-shot counting these tests score is a task it was trained on.
EVAL = ["eval", "count.prompt", "--backend", "pc-tiny"]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "count.prompt").write_text(PROMPT, encoding="utf-8")
    (tmp_path / "data.jsonl").write_text(
        '{"input": "fig jam", "expected": "2"}\n{"input": "a b c", "expected": "3"}\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_help_explains_metrics_and_selections(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["eval", "--help"])
    out = capsys.readouterr().out
    assert info.value.code == 0
    assert "json_schema" in out and "similar_k" in out and "--data" in out


def test_eval_prints_a_table_and_writes_results(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        [*EVAL, "--data", "data.jsonl", "--select", "first_k,0,2",
         "--quiet", "--out", "results.json", "--out", "items.csv"]
    )  # fmt: skip
    assert code == 0
    assert "count first_k k=2" in capsys.readouterr().out
    saved = json.loads((workdir / "results.json").read_text(encoding="utf-8"))
    assert [v["name"] for v in saved["variants"]] == ["count first_k k=0", "count first_k k=2"]
    assert (workdir / "items.csv").is_file()


def test_a_second_run_is_answered_from_the_default_cache(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    main([*EVAL, "--data", "data.jsonl", "--quiet"])
    capsys.readouterr()
    main([*EVAL, "--data", "data.jsonl", "--quiet", "--out", "r.json"])
    assert (workdir / ".promptcraft-cache" / "eval.sqlite").is_file()
    saved = json.loads((workdir / "r.json").read_text(encoding="utf-8"))
    assert (saved["generated"], saved["cache_hits"]) == (0, 2)


def test_a_row_missing_an_input_is_one_line_naming_file_and_line(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (workdir / "bad.jsonl").write_text(
        '{"input": "a", "expected": "1"}\n{"text": "b", "expected": "1"}\n', encoding="utf-8"
    )
    code = main([*EVAL, "--data", "bad.jsonl", "--quiet", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 2
    assert "bad.jsonl:2: template 'count' needs input 'input'" in err
    assert "Traceback" not in err


def test_an_unknown_metric_is_a_user_error(
    workdir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([*EVAL, "--data", "data.jsonl", "--metric", "bleu"])
    assert code == 2
    assert "unknown metric 'bleu'" in capsys.readouterr().err
