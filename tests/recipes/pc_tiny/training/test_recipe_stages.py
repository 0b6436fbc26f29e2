"""The recipe's two stages, end to end on a tiny model: the finishing stage continues the
first stage's weights, in the same run or from a first-stage directory, and the log joins
both stages on one axis."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from safetensors.torch import load_file

from recipes.pc_tiny.recipe import FinishStage, ModelShape, Recipe, main, run_recipe
from recipes.pc_tiny.train import TrainConfig

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")


def _budget(steps: int) -> TrainConfig:
    return TrainConfig(
        batch_rows=2, warmup_steps=1, max_steps=steps, eval_every=2, eval_rows=2,
        checkpoint_every_s=1e6, progress=False,
    )  # fmt: skip


def _recipe(finish: FinishStage | None) -> Recipe:
    return Recipe(
        name="tiny",
        vocab_size=400,
        tokenizer_samples=200,
        train_samples=120,
        heldout_samples=20,
        shape=ModelShape(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, hidden_dim=64),
        train=_budget(3),
        finish=finish,
    )


FINISH = FinishStage(samples=60, train=_budget(2))


def _log(model_dir: Path) -> dict[str, Any]:
    return json.loads((model_dir / "training_log.json").read_text())


@pytest.fixture(scope="module")
def first_stage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("first")
    run_recipe(_recipe(None), root / "model", work_dir=root / "work", eval_samples=4)
    return root / "model"


def test_a_run_with_a_finishing_stage_logs_both_stages_on_one_axis(tmp_path: Path) -> None:
    run_recipe(_recipe(FINISH), tmp_path / "model", work_dir=tmp_path / "work", eval_samples=4)
    log = _log(tmp_path / "model")
    assert [s["name"] for s in log["stages"]] == ["first", "finish"]
    assert log["steps"] == 3 + 2
    steps = [r["step"] for r in log["history"]]
    assert steps == sorted(steps) and steps[-1] == 5
    assert {r["stage"] for r in log["history"]} == {"first", "finish"}
    assert log["recipe"]["finish"]["word_dropout"] == FINISH.word_dropout
    assert (tmp_path / "model" / "loss_curve.png").stat().st_size > 0


def test_finish_from_continues_the_first_stage_weights(first_stage: Path, tmp_path: Path) -> None:
    out = tmp_path / "finished"
    run_recipe(_recipe(FINISH), out, work_dir=tmp_path / "work", finish_from=first_stage)
    before, after = _log(first_stage), _log(out)
    assert after["stages"][0] == before["stages"][0]
    assert after["steps"] == before["steps"] + 2
    assert after["recipe"]["train"] == before["recipe"]["train"]
    old, new = load_file(first_stage / "model.safetensors"), load_file(out / "model.safetensors")
    assert any(not old[name].equal(new[name]) for name in old)


def test_finish_from_refuses_a_model_that_was_already_finished(
    first_stage: Path, tmp_path: Path
) -> None:
    out = tmp_path / "finished"
    run_recipe(_recipe(FINISH), out, work_dir=tmp_path / "work", finish_from=first_stage)
    with pytest.raises(ValueError, match="finishing stage already"):
        run_recipe(_recipe(FINISH), tmp_path / "again", work_dir=tmp_path / "w2", finish_from=out)


def test_cli_names_the_missing_log_of_a_bad_finish_from_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--out", str(tmp_path / "out"), "--finish-from", str(tmp_path / "nowhere")])
    assert exit_info.value.code == 2
    assert "nowhere/training_log.json not found" in capsys.readouterr().err


def test_python_m_recipes_pc_tiny_is_the_recipe_command(repo_root: Path) -> None:
    # The command MODEL_CARD.md and the README give; recipes/ is found from the checkout.
    help_text = subprocess.run(
        [sys.executable, "-m", "recipes.pc_tiny", "--help"],
        cwd=repo_root,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert help_text.startswith("usage: python -m recipes.pc_tiny")
    for option in ("--out", "--minutes", "--finish-minutes", "--seed", "--resume", "--finish-from"):
        assert option in help_text
    card = (repo_root / "models" / "pc-tiny" / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "python -m recipes.pc_tiny --out models/pc-tiny" in card
