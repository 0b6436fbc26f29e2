"""examples/eval runs (in reduced form) and its data is sound.

- ``run_eval.py`` (with ``tasks.py`` and ``summary.py``): the whole study, reduced to two rows
  of one task, on pc-tiny (the study's subject is SmolLM2, but what is tested here is that the
  script runs every evaluation and writes every report, table and chart: pc-tiny does that in
  seconds);
- ``pc_tiny/run_eval.py``: pc-tiny counting words, two rows;
- the datasets: every row has a label of its task, and no row is among the examples the
  few-shot prompts show.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from promptcraft.evaluation import EvalReport, load_dataset

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "eval"
PC_TINY = EXAMPLE / "pc_tiny"


def _tasks_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("example_eval_tasks", EXAMPLE / "tasks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up there
    spec.loader.exec_module(module)
    return module


TASKS = _tasks_module().TASKS


def _run(script: Path, *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(script), *args], capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]


@pytest.fixture(scope="module")
def study_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The study, reduced to two rows of one task on pc-tiny, run once for the tests that read
    its reports."""
    pytest.importorskip("matplotlib")
    out = tmp_path_factory.mktemp("eval")
    _run(EXAMPLE / "run_eval.py", "--limit", "2", "--tasks", "intent", "--out", str(out),
         "--quiet", "--items", "--threads", "1", "--backend", "pc-tiny")  # fmt: skip
    return out


def test_study_writes_its_reports_and_charts(study_run: Path) -> None:
    kinds = EvalReport.load_json(study_run / "intent_kinds.json")
    assert [v.name for v in kinds.variants][:3] == [
        "prefix",
        "few_shot first_k k=0",
        "few_shot first_k k=1",
    ]
    assert {v.kind for v in kinds.variants} == {"prefix", "few_shot", "hybrid", "chat"}
    selection = EvalReport.load_json(study_run / "intent_selection.json")
    assert {v.strategy for v in selection.variants} == {"first_k", "random_k", "similar_k"}
    assert {v.kind for v in selection.variants} == {"few_shot", "hybrid"}
    for stem in ("intent_kinds", "intent_selection", "intent_output", "summary_kinds"):
        assert (study_run / f"{stem}.png").is_file(), stem
    assert "| variant | score |" in (study_run / "results.md").read_text(encoding="utf-8")
    assert "| prompt | intent (2 rows) |" in (study_run / "summary.md").read_text("utf-8")


def test_constrained_and_ranked_answers_are_always_a_label(study_run: Path) -> None:
    """What the output evaluation compares: free text may be anything, the constrained and
    the ranked modes answer with one of the task's labels every time."""
    output = EvalReport.load_json(study_run / "intent_output.json")
    (intent,) = [task for task in TASKS if task.name == "intent"]
    modes = {v.template.partition(" (")[2].removesuffix(")") for v in output.variants}
    assert modes == {"text, exact", "text, choice", "choices", "rank"}
    constrained = [i for i in output.items if "(choices)" in i.variant or "(rank)" in i.variant]
    assert constrained and all(item.output in intent.labels for item in constrained)


def test_summary_py_rewrites_the_tables_from_the_saved_reports(study_run: Path) -> None:
    """A table can be redone without running the model again."""
    summary = study_run / "summary.md"
    written = summary.read_text(encoding="utf-8")
    summary.unlink()
    _run(EXAMPLE / "summary.py", str(study_run))
    assert summary.read_text(encoding="utf-8") == written


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_task_rows_are_not_among_its_examples(task: Any) -> None:
    shown = {" ".join(e["input"].casefold().split()) for e in task.examples()}
    rows = load_dataset(task.data)
    assert not [r.where for r in rows if " ".join(r.inputs["input"].casefold().split()) in shown]


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_task_has_100_rows_labelled_from_its_label_set(task: Any) -> None:
    rows = load_dataset(task.data)
    examples = task.examples()
    assert len(rows) >= 100
    assert len({r.inputs["input"] for r in rows}) == len(rows), "a row is written twice"
    assert {r.expected for r in rows} == set(task.labels)
    assert {e["output"] for e in examples} == set(task.labels)


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_first_examples_of_the_pool_take_the_labels_in_turn(task: Any) -> None:
    """first_k at k = len(labels) shows every label once."""
    first = [e["output"] for e in task.examples()[: len(task.labels)]]
    assert first == list(task.labels)


# --- pc-tiny counting words ---------------------------------------------------------------


def test_pc_tiny_evaluation_runs_and_writes_its_reports(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    _run(PC_TINY / "run_eval.py", "--limit", "2", "--out", str(tmp_path), "--quiet")
    kinds = EvalReport.load_json(tmp_path / "kinds.json")
    assert [v.name for v in kinds.variants][:3] == [
        "prefix",
        "few_shot first_k k=0",
        "few_shot first_k k=1",
    ]
    assert (tmp_path / "kinds.png").is_file() and (tmp_path / "selection.png").is_file()
    assert "| variant | score |" in (tmp_path / "results.md").read_text(encoding="utf-8")


def test_pc_tiny_rows_are_not_among_its_examples() -> None:
    pool = [json.loads(line) for line in (PC_TINY / "pool.jsonl").read_text().splitlines()]
    shown = {example["input"] for example in pool}
    rows = load_dataset(PC_TINY / "data.jsonl")
    assert not [row.where for row in rows if row.inputs["input"] in shown]


def test_pc_tiny_answers_are_the_word_counts() -> None:
    rows = load_dataset(PC_TINY / "data.jsonl")
    assert all(row.expected == str(len(row.inputs["input"].split())) for row in rows)


@pytest.mark.parametrize("task", TASKS, ids=[t.name for t in TASKS])
def test_committed_results_hold_every_variant_the_script_writes(task: Any, study_run: Path) -> None:
    """results/ is the output of this run_eval.py: each task's reports have the variants a
    run of the script writes now (a study added to the script needs a new run)."""
    for study in ("kinds", "selection", "output"):
        committed = EvalReport.load_json(EXAMPLE / "results" / f"{task.name}_{study}.json")
        written = EvalReport.load_json(study_run / f"intent_{study}.json")
        assert [v.name for v in committed.variants] == [v.name for v in written.variants], study
        assert committed.rows == len(load_dataset(task.data)), study
