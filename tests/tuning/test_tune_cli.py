"""``promptcraft tune``: help, data errors, one adapter, and the --compare table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support.tuning import label_task

from promptcraft.cli import main
from promptcraft.tuning import METHODS, load_adapter


def _data(tmp_path: Path, n: int = 10) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in label_task(n, seed=0)))
    return path


def test_help_explains_each_method(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["tune", "--help"])
    assert exit_info.value.code == 0
    text = capsys.readouterr().out
    for method in METHODS:
        assert f"\n  {method} " in text
    assert "--compare" in text and "early stopping" in text


def test_malformed_data_exits_2_naming_file_and_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"input": "a", "output": "b"}\n{"input": "a"}\n')
    assert main(["tune", str(path), "--quiet"]) == 2
    assert f"{path}:2: missing 'output'" in capsys.readouterr().err


@pytest.mark.slow
def test_tune_writes_an_adapter(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "label-prompt.safetensors"
    args = ["tune", str(_data(tmp_path)), "--max-steps", "2", "--quiet", "--out", str(out)]
    args += ["--model", "pc-tiny"]
    assert main([*args, "--virtual-tokens", "4", "--threads", "1"]) == 0
    assert load_adapter(out).info.method == "prompt"
    assert str(out) in capsys.readouterr().out


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_compare_prints_a_row_per_method_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("matplotlib")
    png = tmp_path / "compare.png"
    args = ["tune", str(_data(tmp_path)), "--compare", "--max-steps", "1", "--quiet"]
    args += ["--model", "pc-tiny"]
    assert main([*args, "--out", str(tmp_path / "adapters"), "--plot", str(png)]) == 0
    table = [line for line in capsys.readouterr().out.splitlines() if line.startswith("| ")]
    assert [row.split("|")[1].strip() for row in table[2:]] == list(METHODS)
    assert png.stat().st_size > 0


def test_serve_refuses_a_missing_adapter(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("uvicorn")
    missing = tmp_path / "missing.safetensors"
    assert main(["serve", "--adapter", str(missing), "--port", "0"]) == 2
    assert f"adapter {missing} does not exist" in capsys.readouterr().err


def test_a_budget_that_ends_training_early_says_the_step_rate_is_low(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """On a busy machine a time budget may allow a handful of steps: the user is told, in one
    line, instead of getting an adapter that silently learned nothing."""
    args = ["tune", str(_data(tmp_path, n=40)), "--quiet", "--out", str(tmp_path / "a")]
    args += ["--model", "pc-tiny", "--max-seconds", "0.001", "--threads", "1"]
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "promptcraft tune: warning: tuning used its 0.001 s budget after 1 of " in err
    assert "The step rate is low" in err
    assert "Warning:" not in err  # one line of the command's own, not Python's form
