"""The bundled model's evaluation: suites run through the public API, targets aggregate."""

from __future__ import annotations

from pathlib import Path

import torch

from promptcraft.backends import load_backend
from promptcraft.nn import Decoder, save_model
from promptcraft.tokenizers.tokenizer import Tokenizer
from recipes.pc_tiny import eval_suites
from recipes.pc_tiny.evaluate import SuiteScore, markdown_report, score_suite, targets_table
from recipes.pc_tiny.recipe import ModelShape, model_config


def suite(family: str, kind: str, k: int, wording: str, n: int, em: float) -> SuiteScore:
    return SuiteScore(family=family, kind=kind, k=k, wording=wording, n=n, exact_match=em)


def test_target_averages_its_suites_weighted_by_items() -> None:
    scores = [
        suite("sort_words", "prefix", 0, "train", 10, 1.0),
        suite("uppercase", "prefix", 0, "train", 30, 0.5),
        suite("uppercase", "prefix", 0, "heldout", 30, 0.0),  # another target's
    ]
    row = targets_table(scores)[0]
    assert row["n"] == 40
    assert row["value"] == (10 * 1.0 + 30 * 0.5) / 40
    assert row["passed"] is False


def test_zero_shot_in_context_row_is_reported_not_judged() -> None:
    rows = targets_table([suite("icl_lookup", "few_shot", 0, "train", 5, 0.2)])
    zero_shot = next(r for r in rows if "0-shot" in r["target"])
    assert zero_shot["value"] == 0.2 and zero_shot["passed"] is None


def test_a_drill_counts_towards_no_target() -> None:
    rows = targets_table(
        [
            suite("icl_lookup", "few_shot", 4, "train", 10, 0.5),
            suite("icl_recall", "few_shot", 4, "train", 10, 1.0),
        ]
    )
    four_shot = next(r for r in rows if r["target"] == "in-context-only tasks, 4-shot")
    assert four_shot["n"] == 10 and four_shot["value"] == 0.5


def test_suites_run_through_a_local_backend(
    curriculum_tokenizer: Tokenizer, tmp_path: Path
) -> None:
    torch.manual_seed(0)
    tokenizer = curriculum_tokenizer
    shape = ModelShape(dim=32, n_layers=2, n_heads=4, n_kv_heads=2, hidden_dim=64, context=512)
    save_model(Decoder(model_config(shape, tokenizer)), tokenizer, tmp_path)
    backend = load_backend(f"local:{tmp_path}")
    suites = eval_suites(n=1, families=["sort_words", "tool_arithmetic"], wordings=["train"])
    scores = [score_suite(backend, s) for s in suites if s.kind in ("prefix", "chat", "tool")]
    assert {s.kind for s in scores} == {"prefix", "chat", "tool"}
    tool = next(s for s in scores if s.kind == "tool")
    assert tool.n == 1 and tool.calls_correct is not None
    report = {"targets": targets_table(scores), "suites": [s.model_dump() for s in scores]}
    assert "| sort_words | prefix | 0 | train |" in markdown_report(report)
