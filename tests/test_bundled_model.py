"""The bundled model as shipped: transformers agrees with us on it, and its card is true."""

from __future__ import annotations

import json

import pytest
import torch

import promptcraft as pc
from promptcraft.nn.catalog import resolve_model
from recipes.pc_tiny.evaluate import score_suite
from recipes.pc_tiny.evaluation import eval_suites
from recipes.pc_tiny.model_card import load_facts, render_model_card

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

MODEL_DIR = resolve_model("pc-tiny")


@pytest.fixture(scope="module")
def backend() -> pc.LocalBackend:
    return pc.load_backend("pc-tiny")


@pytest.fixture(scope="module")
def report() -> dict:
    return json.loads((MODEL_DIR / "eval.json").read_text())


def test_transformers_greedy_matches_local_backend_for_32_tokens(backend) -> None:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    prompt = pc.PrefixPrompt("Reverse the order of the words.").render(input="cat dog sun")
    hf_tokenizer = AutoTokenizer.from_pretrained(MODEL_DIR)
    ids = hf_tokenizer(prompt, return_tensors="pt").input_ids
    assert ids[0].tolist() == backend.tokenizer.encode(prompt)
    hf_model = AutoModelForCausalLM.from_pretrained(MODEL_DIR).eval()
    with torch.no_grad():
        theirs = hf_model.generate(
            ids, max_new_tokens=32, min_new_tokens=32, do_sample=False, pad_token_id=0
        )[0, ids.shape[1] :]
    # min_tokens, like min_new_tokens, holds EOS back so both produce 32 tokens
    ours = backend.generate(prompt, max_tokens=32, min_tokens=32, temperature=0)
    assert ours.usage.completion_tokens == 32
    assert ours.text == hf_tokenizer.decode(theirs)


def test_model_card_is_rendered_from_the_shipped_measurements() -> None:
    card = (MODEL_DIR / "MODEL_CARD.md").read_text()
    assert card == render_model_card(load_facts(MODEL_DIR)), (
        "MODEL_CARD.md is stale: run `python -m recipes.pc_tiny.model_card models/pc-tiny`"
    )


def test_card_parameter_count_is_the_models(backend, report) -> None:
    log = json.loads((MODEL_DIR / "training_log.json").read_text())
    assert log["parameters"] == sum(p.numel() for p in backend.decoder.parameters())


@pytest.mark.parametrize(
    ("family", "kind", "k", "wording"),
    [
        ("caesar", "prefix", 0, "train"),
        ("icl_labels", "few_shot", 4, "train"),
        ("tool_arithmetic", "tool", 0, "train"),
    ],
)
def test_reported_suite_score_reproduces(backend, report, family, kind, k, wording) -> None:
    (suite,) = eval_suites(
        n=report["n_per_suite"],
        seed=report["seed"],
        families=[family],
        kinds=[kind],
        shots=[k],
        wordings=[wording],
    )
    (reported,) = [
        s
        for s in report["suites"]
        if (s["family"], s["kind"], s["k"], s["wording"]) == (family, kind, k, wording)
    ]
    assert score_suite(backend, suite).exact_match == pytest.approx(reported["exact_match"])


def test_bundled_model_directory_is_under_50_mb() -> None:
    assert load_facts(MODEL_DIR).directory_mb < 50


def test_wording_split_adds_up_to_the_held_out_wordings_target(report) -> None:
    wordings = json.loads((MODEL_DIR / "wordings.json").read_text())
    (target,) = [t for t in report["targets"] if t["target"].endswith("instruction wordings")]
    assert wordings["overall"] == pytest.approx(target["value"])
    assert sum(row["n"] for row in wordings["wordings"]) == target["n"]


def test_words_reported_unseen_are_absent_from_the_training_text() -> None:
    from recipes.pc_tiny.wording_coverage import training_vocabulary, unseen_words

    # Fewer samples than the report read: whatever it found unseen must be unseen here too.
    vocabulary = training_vocabulary(5000)
    for row in json.loads((MODEL_DIR / "wordings.json").read_text())["wordings"]:
        assert set(row["unseen"]) <= set(unseen_words(row["wording"], vocabulary))
