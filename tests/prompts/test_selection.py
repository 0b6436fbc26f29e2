"""Choosing examples: strategies, BM25, pluggable similarity, dedupe and token budgets."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from promptcraft.prompts import (
    BM25,
    EmbeddingSimilarity,
    FewShotPrompt,
    HybridPrompt,
    SelectSpec,
    SimilarK,
    TemplateRenderError,
    TemplateSyntaxError,
    TokenBudgetError,
    dedupe_examples,
    load_prompt,
    select_examples_within_budget,
)
from promptcraft.tokenizers.tokenizer import get_tokenizer

FRUITS = [
    {"input": "apples are red and crunchy", "output": "fruit"},
    {"input": "carrots grow under the ground", "output": "vegetable"},
    {"input": "bananas are yellow and soft", "output": "fruit"},
    {"input": "broccoli looks like a small tree", "output": "vegetable"},
    {"input": "cherries are small, red and sweet", "output": "fruit"},
]


def _inputs(prompt: FewShotPrompt, query: str) -> list[str]:
    return [e["input"] for e in prompt.select_examples({"input": query})]


def test_all_keeps_every_example_in_order() -> None:
    assert _inputs(FewShotPrompt(FRUITS), "x") == [f["input"] for f in FRUITS]


def test_first_k_takes_the_first_k() -> None:
    prompt = FewShotPrompt(FRUITS, select={"strategy": "first_k", "k": 2})
    assert _inputs(prompt, "x") == [FRUITS[0]["input"], FRUITS[1]["input"]]


def test_random_k_is_seeded_and_keeps_original_order() -> None:
    a = FewShotPrompt(FRUITS, select={"strategy": "random_k", "k": 3, "seed": 7})
    b = FewShotPrompt(FRUITS, select=SelectSpec(strategy="random_k", k=3, seed=7))
    picked = _inputs(a, "x")
    assert picked == _inputs(b, "y") == _inputs(a, "z")
    order = [f["input"] for f in FRUITS]
    assert sorted(picked, key=order.index) == picked and len(picked) == 3


def test_random_k_differs_between_seeds() -> None:
    draws = {
        tuple(
            _inputs(FewShotPrompt(FRUITS, select={"strategy": "random_k", "k": 2, "seed": s}), "")
        )
        for s in range(6)
    }
    assert len(draws) > 1


def test_similar_k_picks_lexically_closest_examples_first() -> None:
    prompt = FewShotPrompt(FRUITS, select={"strategy": "similar_k", "k": 2})
    assert _inputs(prompt, "which ones are red and sweet?") == [
        FRUITS[4]["input"],
        FRUITS[0]["input"],
    ]


def test_similar_k_renders_the_selected_examples() -> None:
    prompt = FewShotPrompt(FRUITS, select={"strategy": "similar_k", "k": 1})
    assert prompt.render(input="a tree of broccoli").startswith("Input: broccoli")


def test_bm25_weights_rare_terms_above_common_ones() -> None:
    docs = ["the cat", "the dog", "the bird", "a zebra"]
    scores = BM25().scores("the zebra", docs)
    assert max(range(4), key=scores.__getitem__) == 3


def test_bm25_scores_zero_without_shared_terms() -> None:
    assert BM25().scores("quantum", ["apples", "pears"]) == [0.0, 0.0]


def test_similarity_is_pluggable_with_embeddings() -> None:
    def embed(texts: Sequence[str]) -> list[list[float]]:  # a toy embedding: letter counts
        return [[t.count(c) for c in "aeiouk"] for t in texts]

    selector = SimilarK(1, input="input", field="input", scorer=EmbeddingSimilarity(embed))
    prompt = FewShotPrompt(FRUITS, select=selector)
    assert _inputs(prompt, "kkk") == [FRUITS[3]["input"]]  # the only example with a "k"


def test_custom_selector_object_is_used() -> None:
    class LastOne:
        def select(
            self, examples: Sequence[Mapping[str, Any]], inputs: Mapping[str, Any]
        ) -> list[Mapping[str, Any]]:
            return [examples[-1]]

    assert _inputs(FewShotPrompt(FRUITS, select=LastOne()), "x") == [FRUITS[-1]["input"]]


def test_exact_duplicate_examples_are_dropped() -> None:
    prompt = FewShotPrompt([FRUITS[0], dict(FRUITS[0]), FRUITS[1]])
    assert len(prompt.examples) == 2


def test_dedupe_can_be_turned_off() -> None:
    prompt = FewShotPrompt([FRUITS[0], FRUITS[0]], select={"dedupe": False})
    assert len(prompt.examples) == 2


def test_dedupe_keeps_first_occurrence_and_order() -> None:
    items = [{"a": 1, "b": 2}, {"b": 2, "a": 1}, {"a": 3}]
    assert dedupe_examples(items) == [{"a": 1, "b": 2}, {"a": 3}]


def _budget_prompt(budget: int) -> HybridPrompt:
    return HybridPrompt(
        "Sort foods into fruit or vegetable.",
        FRUITS,
        select={"strategy": "within_budget", "max_prompt_tokens": budget},
    )


def test_within_budget_packs_whole_examples_up_to_the_exact_budget() -> None:
    tokenizer = get_tokenizer("cl100k_base")
    bare = tokenizer.count(HybridPrompt("Sort foods into fruit or vegetable.").render(input="kiwi"))
    budget = bare + 30
    prompt = _budget_prompt(budget)
    chosen = prompt.select_examples({"input": "kiwi"})
    assert 0 < len(chosen) < len(FRUITS)
    assert tokenizer.count(prompt.render(input="kiwi")) <= budget
    # One more example (the next one not chosen) would not have fit.
    rest = [f for f in FRUITS if f not in chosen]
    bigger = HybridPrompt("Sort foods into fruit or vegetable.", [*chosen, rest[0]])
    assert tokenizer.count(bigger.render(input="kiwi")) > budget


def test_within_budget_never_cuts_the_instruction_or_query() -> None:
    prompt = _budget_prompt(40)
    long_query = "kiwi " * 5
    text = prompt.render(input=long_query)
    assert text.startswith("Sort foods into fruit or vegetable.")
    assert text.endswith(f"Input: {long_query}\nOutput:")


def test_within_budget_raises_with_the_counts_when_nothing_fits() -> None:
    prompt = _budget_prompt(10)
    with pytest.raises(TokenBudgetError, match="budget of 10") as info:
        prompt.render(input="kiwi " * 20)
    assert info.value.max_prompt_tokens == 10  # type: ignore[attr-defined]
    assert info.value.prompt_tokens > 10  # type: ignore[attr-defined]


def test_select_examples_within_budget_counts_with_the_callback() -> None:
    calls: list[int] = []

    def count(examples: Sequence[Mapping[str, Any]]) -> int:
        calls.append(len(examples))
        return 10 + 5 * len(examples)

    chosen = select_examples_within_budget(FRUITS, count, 21)
    assert len(chosen) == 2 and calls[0] == 0


def test_select_examples_within_budget_skips_an_example_that_does_not_fit() -> None:
    sizes = {"a": 5, "b": 50, "c": 5}
    examples = [{"input": k} for k in sizes]
    chosen = select_examples_within_budget(
        examples, lambda ex: sum(sizes[e["input"]] for e in ex), 12
    )
    assert [e["input"] for e in chosen] == ["a", "c"]


def test_any_strategy_can_add_a_budget() -> None:
    prompt = FewShotPrompt(
        FRUITS, select={"strategy": "similar_k", "k": 4, "max_prompt_tokens": 40}
    )
    assert get_tokenizer("cl100k_base").count(prompt.render(input="red")) <= 40


def test_similar_k_from_front_matter(write_prompt) -> None:
    front = """
        name: t
        kind: few_shot
        inputs: {q: str}
        examples:
          - {q: "reset my password", a: account}
          - {q: "invoice is wrong", a: billing}
        select: {strategy: similar_k, k: 1, input: q, field: q}
        layout: {input_key: q, output_key: a}
    """
    prompt = load_prompt(write_prompt(front))
    chosen = prompt.select_examples({"q": "wrong invoice"})
    assert chosen == [{"q": "invoice is wrong", "a": "billing"}]


def test_reverse_similarity_compares_outputs() -> None:
    forward = FewShotPrompt(FRUITS, select={"strategy": "similar_k", "k": 1})
    chosen = forward.reverse().select_examples({"output": "vegetable"})
    assert chosen[0]["output"] == "vegetable"


def test_unknown_budget_encoding_is_an_error_at_the_select_line(write_prompt) -> None:
    front = "name: t\nkind: few_shot\nselect: {max_prompt_tokens: 50, encoding: cl100k_bsae}"
    with pytest.raises(TemplateSyntaxError, match="unknown encoding 'cl100k_bsae'") as info:
        load_prompt(write_prompt(front))
    assert info.value.line == 4
    assert "Value error" not in info.value.message


def test_similar_k_on_an_undeclared_input_is_an_error_at_the_select_line(write_prompt) -> None:
    front = """
        name: t
        kind: few_shot
        inputs: {q: str}
        examples: [{q: a, a: b}]
        layout: {input_key: q, output_key: a}
        select: {strategy: similar_k, k: 1, input: question}
    """
    with pytest.raises(TemplateSyntaxError, match="input 'question'") as info:
        load_prompt(write_prompt(front))
    assert info.value.line == 7


def test_similar_k_on_a_field_no_example_has_is_an_error() -> None:
    with pytest.raises(TemplateSyntaxError, match="field 'text', which no example has"):
        FewShotPrompt(FRUITS, select={"strategy": "similar_k", "k": 1, "field": "text"})


def test_example_without_a_field_the_layout_reads_is_named_in_the_error() -> None:
    prompt = FewShotPrompt([FRUITS[0], {"input": "kale"}])
    with pytest.raises(TemplateRenderError, match="example 2 has no field 'output'") as info:
        prompt.render(input="kiwi")
    assert info.value.template.endswith("few_shot.jinja")
