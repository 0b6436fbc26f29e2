"""What the bundled templates promise beyond rendering, and their evaluation sets
(``templates/evals/<name>.jsonl``, which ``benchmarks/templates.py`` runs on SmolLM2). Nothing
here runs a model: the default model's tokenizer and chat template count the prompts."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from promptcraft.agents.arithmetic import calculate
from promptcraft.backends.chat_template import ChatTemplate
from promptcraft.constraints.constraints import constraint_from_output
from promptcraft.evaluation.dataset import DataRow, load_dataset
from promptcraft.nn.loaders.gguf_config import config_from_gguf
from promptcraft.prompts import PromptLibrary, PromptTemplate, RenderedPrompt
from promptcraft.tokenizers import tokenizer_from_gguf
from promptcraft.utils.gguf_header import open_gguf
from promptcraft.utils.paths import bundled_templates_dir

LIBRARY = PromptLibrary()
EVALS = bundled_templates_dir() / "evals"
EVALUATED = [
    "sentiment",
    "classify_intent",
    "extract_json",
    "math_reasoning",
    "translate",
    "summarize",
    "question_from_answer",
    "instruction_backtranslation",
    "assistant",
    "proofread",
]


PromptLength = Callable[[RenderedPrompt], int]


@pytest.fixture(scope="module")
def smollm2_prompt(smollm2_gguf: Path) -> tuple[PromptLength, int]:
    """How many tokens a rendered prompt is to SmolLM2 (its tokenizer, its chat template for
    messages, BOS as it asks), and its context size: what LocalBackend counts."""
    gguf = open_gguf(smollm2_gguf)
    config = config_from_gguf(gguf)
    tokenizer = tokenizer_from_gguf(gguf)
    assert config.chat_template is not None
    chat = ChatTemplate(
        config.chat_template,
        origin=str(smollm2_gguf),
        bos_token=tokenizer.bos_token,
        eos_token=tokenizer.eos_token,
        pad_token=tokenizer.pad_token,
    )
    bos = int(config.add_bos_token and config.bos_token_id is not None)

    def length(prompt: RenderedPrompt) -> int:
        if prompt.messages is not None:
            return len(chat.encode(prompt.messages, tokenizer))
        return bos + len(tokenizer.encode(prompt.text or ""))

    return length, config.max_seq_len


def _rows(name: str) -> list[DataRow]:
    return load_dataset(EVALS / f"{name}.jsonl")


@pytest.mark.parametrize("name", LIBRARY.names())
def test_every_sample_and_evaluation_row_fits_the_default_models_context(
    name: str, smollm2_prompt: tuple[PromptLength, int]
) -> None:
    length, context = smollm2_prompt
    template = LIBRARY.get(name)
    max_tokens = template.defaults["max_tokens"]  # every template sets it: never "all the rest"
    assert template.samples
    rows = _rows(name) if name in EVALUATED else []
    for inputs in [*template.samples, *(row.inputs for row in rows)]:
        prompt = template.render_prompt(inputs)
        assert length(prompt) + max_tokens <= context, (inputs, length(prompt), max_tokens)
    assert max_tokens <= context // 8  # an answer, not the whole context


@pytest.mark.parametrize("name", EVALUATED)
def test_every_evaluated_template_has_fifty_rows_that_render(name: str) -> None:
    template = LIBRARY.get(name)
    rows = _rows(name)
    assert len(rows) >= 50 and all(row.has_expected for row in rows)
    for row in rows:
        if template.kind == "chat":
            assert template.render_messages(**row.inputs)
        else:
            assert template.render(**row.inputs).strip()


@pytest.mark.parametrize("name", EVALUATED)
def test_evaluation_rows_are_not_the_templates_own_examples(name: str) -> None:
    template = LIBRARY.get(name)
    shown = {str(value) for example in template.examples for value in example.values()}
    texts = [v for row in _rows(name) for v in row.inputs.values()]
    copied = [text for text in texts if isinstance(text, str) and len(text) > 12 and text in shown]
    assert copied == []
    # nor a short one: a row whose inputs are all those of an example ("cat" into Spanish)
    repeated = [
        row.where
        for row in _rows(name)
        for example in template.examples
        if row.inputs.keys() & example.keys()
        and all(example[key] == row.inputs[key] for key in row.inputs.keys() & example.keys())
    ]
    assert repeated == []


@pytest.mark.parametrize("name", EVALUATED)
def test_evaluation_rows_are_all_different(name: str) -> None:
    inputs = [json.dumps(row.inputs, sort_keys=True) for row in _rows(name)]
    assert [text for text, n in Counter(inputs).items() if n > 1] == []


def _label_in_choices(template: PromptTemplate, row: DataRow) -> bool:
    choices = template.output.choices if template.output.type == "choices" else None
    labels = choices or row.inputs.get("labels") or template.inputs["labels"].default
    return row.expected in labels


def _valid_contact(template: PromptTemplate, row: DataRow) -> bool:
    constraint = constraint_from_output(template.output)
    assert constraint is not None
    return bool(constraint.parse(json.dumps(row.expected)) == row.expected)


def _number(template: PromptTemplate, row: DataRow) -> bool:
    return isinstance(row.expected, int | float) and not isinstance(row.expected, bool)


def _sentence(template: PromptTemplate, row: DataRow) -> bool:
    return isinstance(row.expected, str) and bool(row.expected.strip())


def _terms(template: PromptTemplate, row: DataRow) -> bool:
    terms: Any = row.expected
    return isinstance(terms, list) and bool(terms) and all(isinstance(t, str) and t for t in terms)


# What each set's `expected` must be for the metric benchmarks/templates.py scores it with.
EXPECTED_IS_VALID = {
    "sentiment": _label_in_choices,
    "classify_intent": _label_in_choices,
    "extract_json": _valid_contact,
    "math_reasoning": _number,
    "translate": _terms,
    "summarize": _terms,
    "question_from_answer": _terms,
    "instruction_backtranslation": _terms,
    "assistant": _terms,
    "proofread": _sentence,
}


@pytest.mark.parametrize("name", EVALUATED)
def test_every_evaluation_row_expects_what_its_metric_can_score(name: str) -> None:
    template = LIBRARY.get(name)
    valid = EXPECTED_IS_VALID[name]
    assert [row.where for row in _rows(name) if not valid(template, row)] == []


@pytest.mark.parametrize("name", ["sentiment", "classify_intent"])
def test_a_classification_set_asks_for_every_label_several_times(name: str) -> None:
    template = LIBRARY.get(name)
    labels = template.output.choices or template.inputs["labels"].default
    counts = Counter(row.expected for row in _rows(name))
    assert {label: counts[label] for label in labels if counts[label] < 5} == {}


def test_question_from_answer_rows_name_the_answer_the_round_trip_looks_for() -> None:
    path = EVALS / "question_from_answer.jsonl"
    raw = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(row["answer_terms"] and all(row["answer_terms"]) for row in raw)


def test_proofread_rows_mostly_have_a_mistake_to_correct() -> None:
    rows = _rows("proofread")
    unchanged = [row.where for row in rows if row.expected == row.inputs["text"]]
    assert len(rows) - len(unchanged) >= 50 and len(unchanged) <= 5


def test_proofread_is_an_instruction_then_the_sentence() -> None:
    text = LIBRARY.get("proofread").render(text="I cant go.")
    assert text.startswith("Correct the spelling and grammar of the sentence.")
    assert text.endswith("\n\nSentence: I cant go.\nCorrected:")


def test_evaluation_sets_are_not_listed_as_templates() -> None:
    assert not any(name.startswith("evals") for name in LIBRARY.names())


def test_sentiment_defines_neutral_only_when_it_is_a_label() -> None:
    sentiment = LIBRARY.get("sentiment")
    assert "only facts, is neutral" in sentiment.render(text="ok")
    assert "neutral" not in sentiment.render(text="ok", labels=["positive", "negative"])


def test_classify_intent_shows_the_most_similar_example_next_to_the_message() -> None:
    text = LIBRARY.get("classify_intent").render(message="my suitcase did not arrive")
    last_example = text.split("\n\n")[-2]
    assert last_example == "Message: My suitcase did not arrive in Lisbon\nIntent: baggage"


def test_translate_shows_only_examples_in_the_target_language() -> None:
    text = LIBRARY.get("translate").render(text="dog", target="German")
    assert "German: Katze" in text and "French:" not in text
    assert text.endswith("English: dog\nGerman:")


def test_translate_into_a_language_without_examples_is_zero_shot() -> None:
    text = LIBRARY.get("translate").render(text="dog", target="Dutch")
    assert text == "Translate English into Dutch.\n\nEnglish: dog\nDutch:"


def test_extract_json_requires_every_field_it_asks_for() -> None:
    constraint = constraint_from_output(LIBRARY.get("extract_json").output)
    assert constraint is not None
    with pytest.raises(ValueError):
        constraint.parse('{"name": "Mia", "city": "Dan"}')
    value = constraint.parse('{"name": "Mia", "email": null, "company": "Dan"}')
    assert value == {"name": "Mia", "email": None, "company": "Dan"}


def test_math_reasoning_examples_write_expressions_the_calculator_computes() -> None:
    template = LIBRARY.get("math_reasoning")
    constraint = constraint_from_output(template.output)
    assert constraint is not None
    for example in template.examples:
        answer = f'{{"numbers": "{example["numbers"]}", "expression": "{example["expression"]}"}}'
        assert constraint.parse(answer)["expression"] == example["expression"]
        assert calculate(example["expression"])
