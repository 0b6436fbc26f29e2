"""The held-out split: wordings, labels and tool questions training never sees."""

from __future__ import annotations

from recipes.pc_tiny import Sample, eval_suites
from recipes.pc_tiny.catalog import TEXT_FAMILIES
from recipes.pc_tiny.family import Wordings
from recipes.pc_tiny.formats import LABELS, REVERSE_INSTRUCTIONS, SYSTEM_PROMPTS
from recipes.pc_tiny.in_context import FOLLOW_EXAMPLES
from recipes.pc_tiny.word_problems import _ARITHMETIC, _LOOKUP


def _all_wordings() -> list[Wordings]:
    found = [REVERSE_INSTRUCTIONS, SYSTEM_PROMPTS, FOLLOW_EXAMPLES]
    for family in TEXT_FAMILIES.values():
        found.append(family.instructions)
        if family.reverse_instructions is not None:
            found.append(family.reverse_instructions)
    return found


def _heldout_texts() -> set[str]:
    return {w for wordings in _all_wordings() for w in wordings.heldout}


def test_every_wording_set_has_both_splits_and_they_are_disjoint() -> None:
    for wordings in _all_wordings():
        assert wordings.train and wordings.heldout
        assert not set(wordings.train) & set(wordings.heldout)


def test_no_heldout_wording_is_also_a_training_wording_elsewhere() -> None:
    train = {w for wordings in _all_wordings() for w in wordings.train}
    assert not train & _heldout_texts()


def test_label_pairs_of_the_splits_share_no_label() -> None:
    train = {label for pair in LABELS["train"] for label in pair}
    heldout = {label for pair in LABELS["heldout"] for label in pair}
    assert not train & heldout


def test_tool_question_templates_of_the_splits_are_disjoint() -> None:
    for templates in (_ARITHMETIC, _LOOKUP):
        train = {t.text for t in templates["train"]}
        assert not train & {t.text for t in templates["heldout"]}


def test_training_samples_never_use_a_heldout_wording(train_samples: list[Sample]) -> None:
    heldout = _heldout_texts()
    for sample in train_samples:
        assert sample.meta.get("instruction") not in heldout
        assert sample.meta.get("request") not in heldout


def test_training_instructions_never_contain_a_heldout_wording(
    train_samples: list[Sample],
) -> None:
    # Paraphrases and frames wrap or vary the listed wordings; none may spell a held-out one.
    heldout = _heldout_texts()
    for sample in train_samples:
        text = f"{sample.meta.get('instruction', '')}\n{sample.meta.get('request') or ''}"
        assert not any(wording in text for wording in heldout), text


def test_training_paraphrases_go_beyond_the_listed_wordings(train_samples: list[Sample]) -> None:
    listed = {w for wordings in _all_wordings() for w in wordings.train}
    seen = {s.meta["instruction"] for s in train_samples if s.kind == "prefix"}
    assert len(seen - listed) > len(seen & listed)


def test_training_labels_go_beyond_the_listed_pairs(train_samples: list[Sample]) -> None:
    pairs = {tuple(s.meta["labels"]) for s in train_samples if s.kind == "few_shot"}
    assert len(pairs - set(LABELS["train"])) >= 100


def test_training_prompts_never_show_a_heldout_label(train_samples: list[Sample]) -> None:
    cues = [f"\n{label}:" for pair in LABELS["heldout"] for label in pair]
    for sample in train_samples:
        assert not any(cue in "\n" + sample.prompt for cue in cues), sample.prompt


def test_heldout_samples_use_only_heldout_wordings(heldout_samples: list[Sample]) -> None:
    heldout = _heldout_texts() | {""}
    for sample in heldout_samples:
        if sample.kind == "tool":
            continue
        instruction = sample.meta["instruction"]
        parts = instruction.split("\n") if sample.kind == "chat" else [instruction]
        assert all(part in heldout for part in parts), instruction


def test_eval_items_of_training_wordings_use_only_listed_wordings_and_labels() -> None:
    # Paraphrases and the wider label vocabulary are for the training stream only, so the
    # evaluation's items stay comparable across models.
    listed = {w for wordings in _all_wordings() for w in wordings.train}
    label_cues = {f"{label}:" for pair in LABELS["train"] for label in pair}
    for suite in eval_suites(n=3, kinds=["prefix", "few_shot"], wordings=["train"]):
        for item in suite.items:
            body = item.template.body or ""
            if suite.kind == "prefix":
                assert any(w in body for w in listed), body
            rendered = item.template.render(**item.inputs)
            last_line = rendered.rsplit("\n", 1)[-1]
            assert last_line in label_cues, rendered


def test_heldout_eval_items_use_only_heldout_wordings() -> None:
    heldout = _heldout_texts()
    for suite in eval_suites(n=3, kinds=["prefix", "hybrid"], wordings=["heldout"]):
        for item in suite.items:
            body = item.template.body or ""
            assert any(w in body for w in heldout), body
