"""The in-context families: their answers are decidable only from the demonstrations."""

from __future__ import annotations

import random
from collections import defaultdict

from recipes.pc_tiny.family import Family, Task
from recipes.pc_tiny.in_context import (
    TRANSFORMS,
    InContextCipher,
    InContextLabels,
    InContextLookup,
    InContextTransform,
    RecallDrill,
)


def _tasks(family: Family, k: int, n: int = 60) -> list[Task]:
    rng = random.Random(f"test/{family.name}/{k}")
    return [family.task(rng, k) for _ in range(n)]


def test_the_cipher_differs_between_prompts() -> None:
    symbols = defaultdict(set)
    for task in _tasks(InContextCipher(), 4):
        for letter, symbol in task.meta["mapping"].items():
            symbols[letter].add(symbol)
    assert all(len(seen) > 1 for seen in symbols.values() if seen)


def test_every_cipher_query_letter_appears_in_the_demos() -> None:
    for k in (1, 2, 4, 6):
        for task in _tasks(InContextCipher(), k):
            shown = {c for text, _ in task.demos for c in text.split()}
            assert set(task.query.split()) <= shown


def test_cipher_answer_follows_the_demos() -> None:
    for task in _tasks(InContextCipher(), 4):
        table = {}
        for text, code in task.demos:
            table.update(zip(text.split(), code.split(), strict=True))
        assert task.answer == " ".join(table[c] for c in task.query.split())


def test_lookup_query_key_is_shown_with_its_answer() -> None:
    for k in (1, 2, 4, 6):
        for task in _tasks(InContextLookup(), k):
            assert (task.query, task.answer) in task.demos


def test_lookup_mapping_differs_between_prompts() -> None:
    values = defaultdict(set)
    for task in _tasks(InContextLookup(), 6, n=200):
        for key, value in task.demos:
            values[key].add(value)
    assert max(len(v) for v in values.values()) > 1


def test_zero_shot_prompts_have_no_demos() -> None:
    for family in (InContextCipher(), InContextLookup(), InContextLabels(), InContextTransform()):
        assert all(task.demos == [] for task in _tasks(family, 0, n=10))


def test_the_shown_transform_is_the_only_one_consistent_with_the_demos() -> None:
    for k in (1, 2, 4):
        for task in _tasks(InContextTransform(), k):
            consistent = [
                name
                for name, fn in TRANSFORMS.items()
                if all(fn(text.split()) == out for text, out in task.demos)
            ]
            assert consistent == [task.meta["transform"]]


def test_transforms_vary_between_prompts() -> None:
    assert {t.meta["transform"] for t in _tasks(InContextTransform(), 2)} == set(TRANSFORMS)


def test_label_demos_show_both_classes_from_two_shots() -> None:
    for k in (2, 4, 6):
        for task in _tasks(InContextLabels(), k):
            assert set(task.meta["classes"]) == {0, 1}
            assert len({out for _, out in task.demos}) == 2


def test_label_answer_is_the_label_the_demos_give_its_class() -> None:
    for k in (1, 2, 4):
        for task in _tasks(InContextLabels(), k):
            same_class = [
                out
                for (_, out), c in zip(task.demos, task.meta["classes"], strict=True)
                if c == task.meta["class"]
            ]
            assert same_class and set(same_class) == {task.answer}


def test_label_words_are_drawn_per_prompt() -> None:
    labels = {tuple(t.meta["labels"]) for t in _tasks(InContextLabels(), 2)}
    assert len(labels) > 20


def test_recall_drill_asks_again_for_keys_it_has_shown() -> None:
    for task in _tasks(RecallDrill(), 4, n=200):
        mapping = task.meta["mapping"]
        pairs = list(mapping.items())
        assert task.demos[: len(pairs)] == pairs
        for text, out in [*task.demos[len(pairs) :], (task.query, task.answer)]:
            assert out == " ".join(mapping[key] for key in text.split(" "))


def test_recall_drill_query_is_not_the_last_demo() -> None:
    for task in _tasks(RecallDrill(), 4, n=200):
        assert (task.query, task.answer) != task.demos[-1]


def test_recall_drill_has_word_number_letter_and_multi_letter_items() -> None:
    tasks = _tasks(RecallDrill(), 4, n=200)
    assert any(len(t.query) > 1 and " " not in t.query for t in tasks)  # word keys
    assert any(t.answer.isdigit() for t in tasks)  # number values
    assert any(len(t.query) == 1 for t in tasks)  # letter keys
    assert any(" " in text for t in tasks for text, _ in t.demos)  # letter strings
