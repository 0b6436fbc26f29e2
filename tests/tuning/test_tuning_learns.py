"""A seconds-long run of each method on an easy task: pc-tiny, the bundled model, learns a fixed
colour -> made-up label mapping that its prompt never shows."""

from __future__ import annotations

import pytest
from support.tuning import LABELS, label_task

import promptcraft as pc
from promptcraft.prompts.kinds import PrefixPrompt
from promptcraft.tuning import METHODS, TuningReport, run_tuning
from promptcraft.tuning.methods import TuningMethod

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

SHORT = {
    "max_steps": 40,
    "batch_size": 8,
    "val_fraction": 0.2,
    "eval_every": 5,
    "progress": False,
    "seed": 0,
}


@pytest.fixture(scope="module")
def reports(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[TuningMethod, TuningReport]:
    out = tmp_path_factory.mktemp("adapters")
    template = PrefixPrompt(input_label="Item", output_label="Tag", name="label")
    return {
        method: run_tuning(
            method,
            data=label_task(100, seed=0),
            template=template,
            model="pc-tiny",
            out=out / method,
            **SHORT,
        )
        for method in METHODS
    }


@pytest.mark.parametrize("method", METHODS)
def test_validation_loss_falls(method: TuningMethod, reports: dict[str, TuningReport]) -> None:
    outcome = reports[method].outcome
    assert outcome.best_val_loss < outcome.first_val_loss


@pytest.mark.parametrize("method", METHODS)
def test_held_out_exact_match_rises(method: TuningMethod, reports: dict[str, TuningReport]) -> None:
    info = reports[method].info
    assert info.val_exact_match_before is not None and info.val_exact_match is not None
    assert info.val_exact_match > info.val_exact_match_before


@pytest.mark.parametrize("method", ["prompt", "prefix", "top_layers"])
def test_load_backend_serves_the_adapter_as_trained(
    method: TuningMethod, reports: dict[str, TuningReport]
) -> None:
    report = reports[method]
    backend = pc.load_backend("pc-tiny", adapter=report.adapter)
    template = PrefixPrompt(input_label="Item", output_label="Tag", name="label")
    rows = label_task(100, seed=0)
    prompts = [template.render(input=row["input"]) for row in rows[:8]]
    alone = [backend.generate(p, max_tokens=4, temperature=0).text for p in prompts]
    batched = [c.text for c in backend.generate_batch(prompts, max_tokens=4, temperature=0)]
    assert batched == alone
    assert any(text.strip() in LABELS.values() for text in alone)
