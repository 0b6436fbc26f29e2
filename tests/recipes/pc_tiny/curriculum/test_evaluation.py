"""Held-out evaluation suites, rendered through the public template API."""

from __future__ import annotations

from promptcraft.prompts import PromptTemplate
from recipes.pc_tiny import EVAL_SHOTS, check_answer, eval_suites


def test_suites_cover_each_k_and_wording_of_a_few_shot_family() -> None:
    suites = eval_suites(n=2, families=["icl_cipher"])
    keys = {(s.kind, s.k, s.wording) for s in suites}
    expected = {
        (kind, k, w)
        for kind in ("few_shot", "hybrid")
        for k in EVAL_SHOTS[kind]
        for w in ("train", "heldout")
    }
    assert keys == expected


def test_drills_are_trained_but_not_evaluated() -> None:
    families = {s.family for s in eval_suites(n=1, kinds=["few_shot"], shots=[4])}
    assert "icl_lookup" in families
    assert "icl_recall" not in families


def test_suite_names_say_family_kind_k_and_wording() -> None:
    suite = eval_suites(n=1, families=["arithmetic"], kinds=["prefix"], wordings=["heldout"])[0]
    assert suite.name == "arithmetic/prefix/k=0/heldout"


def test_eval_suites_are_deterministic() -> None:
    def texts() -> list[str]:
        suites = eval_suites(n=4, families=["sort_words"], kinds=["hybrid"])
        return [i.template.render(**i.inputs) for s in suites for i in s.items]

    assert texts() == texts()


def test_items_render_through_the_template_with_their_examples() -> None:
    suite = eval_suites(n=3, families=["icl_lookup"], kinds=["few_shot"], shots=[4])[0]
    for item in suite.items:
        assert isinstance(item.template, PromptTemplate)
        assert len(item.template.examples) == 4
        text = item.template.render(**item.inputs)
        assert text.rstrip().endswith(":")
        assert item.expected in text  # the looked-up value is shown in the demos


def test_chat_items_render_messages_ending_with_the_user_turn() -> None:
    for suite in eval_suites(n=3, families=["count_items"], kinds=["chat"]):
        for item in suite.items:
            messages = item.template.render_messages(**item.inputs)
            assert messages[-1].role == "user"
            assert len([m for m in messages if m.role == "assistant"]) == suite.k


def test_items_expect_the_answer_of_their_query() -> None:
    suite = eval_suites(n=5, families=["reverse_list"], kinds=["prefix"], wordings=["train"])[0]
    for item in suite.items:
        words = item.inputs["input"].split(", " if ", " in item.inputs["input"] else " ")
        assert item.expected.replace(",", "").split() == list(reversed(words))


def test_eval_items_are_not_training_samples() -> None:
    from recipes.pc_tiny import generate_samples

    train = {s.query for s in generate_samples(400, seed=0, families=["arithmetic"])}
    suite = eval_suites(n=50, seed=0, families=["arithmetic"], kinds=["prefix"])[0]
    overlap = [i for i in suite.items if i.inputs["input"] in train]
    assert len(overlap) < 5


def test_check_answer_is_exact_after_stripping() -> None:
    assert check_answer(" 42\n", "42")
    assert not check_answer("42.", "42")


def test_prefix_items_record_the_wording_they_were_built_with() -> None:
    from recipes.pc_tiny.catalog import TEXT_FAMILIES

    (suite,) = eval_suites(n=8, families=["count_items"], kinds=["prefix"], wordings=["heldout"])
    heldout = TEXT_FAMILIES["count_items"].instructions.heldout
    assert {item.instruction for item in suite.items} <= set(heldout)
    assert all(item.instruction in item.template.render(**item.inputs) for item in suite.items)
