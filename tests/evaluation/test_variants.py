from __future__ import annotations

from pathlib import Path

import pytest

import promptcraft as pc
from promptcraft.errors import EvaluationError
from promptcraft.evaluation import Selection, parse_selection
from promptcraft.evaluation.variants import build_grid, unique_names, with_selection

EXAMPLES = [{"input": f"q{i}", "output": f"a{i}"} for i in range(6)]


def test_parse_selection_gives_one_variant_per_k() -> None:
    ks = [s.k for s in parse_selection("first_k,0,1,2,4,8")]
    assert ks == [0, 1, 2, 4, 8]


def test_random_k_gives_one_variant_per_seed() -> None:
    seeds = [s.seed for s in parse_selection("random_k,4", seeds=[0, 1, 2])]
    assert seeds == [0, 1, 2]


def test_within_budget_takes_token_budgets() -> None:
    (selection,) = parse_selection("within_budget,200")
    assert selection.max_prompt_tokens == 200


@pytest.mark.parametrize("text", ["best_k,2", "first_k", "first_k,two", "within_budget,0"])
def test_bad_selection_is_an_error(text: str) -> None:
    with pytest.raises(EvaluationError):
        parse_selection(text)


def test_with_selection_renders_like_a_prompt_with_those_examples() -> None:
    template = pc.FewShotPrompt(EXAMPLES)
    chosen = with_selection(template, Selection(strategy="first_k", k=2))
    assert chosen.render(input="x") == pc.FewShotPrompt(EXAMPLES[:2]).render(input="x")


def test_with_selection_keeps_defaults_and_output() -> None:
    template = pc.FewShotPrompt(EXAMPLES, defaults={"max_tokens": 5}, output={"choices": ["a"]})
    chosen = with_selection(template, Selection(strategy="first_k", k=1))
    assert chosen.defaults == {"max_tokens": 5}
    assert chosen.output.choices == ("a",)


def test_similar_k_selection_picks_the_most_similar_example() -> None:
    template = pc.FewShotPrompt([{"input": "red apple", "output": "1"}, *EXAMPLES])
    chosen = with_selection(template, Selection(strategy="similar_k", k=1))
    assert chosen.select_examples({"input": "apple"}) == [{"input": "red apple", "output": "1"}]


def test_with_selection_of_a_prompt_file_keeps_its_examples_file(tmp_path: Path) -> None:
    (tmp_path / "pool.jsonl").write_text(
        '{"input": "a", "output": "1"}\n{"input": "b", "output": "2"}\n', encoding="utf-8"
    )
    (tmp_path / "t.prompt").write_text(
        "---\nname: t\nkind: few_shot\nexamples_file: pool.jsonl\n---\n", encoding="utf-8"
    )
    chosen = with_selection(
        pc.load_prompt(tmp_path / "t.prompt"), Selection(strategy="first_k", k=1)
    )
    assert chosen.render(input="c") == "Input: a\nOutput: 1\n\nInput: c\nOutput:"


def test_grid_takes_templates_without_examples_as_written() -> None:
    prefix = pc.PrefixPrompt("Answer.")
    few = pc.FewShotPrompt(EXAMPLES)
    grid = build_grid([("p", prefix), ("f", few)], parse_selection("first_k,0,2"))
    assert [v.name for v in grid] == ["p", "f first_k k=0", "f first_k k=2"]


def test_grid_multiplies_by_backends() -> None:
    grid = build_grid([("f", pc.FewShotPrompt(EXAMPLES))], [], ["a", "b"])
    assert [v.name for v in grid] == ["f @ a", "f @ b"]


def test_unique_names_never_repeat_a_name_already_given() -> None:
    assert unique_names(["a", "a", "a#2"]) == ["a", "a#3", "a#2"]
