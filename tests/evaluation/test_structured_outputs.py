"""Evaluation scores what ``template.run()`` returns: a template's ``output:`` (choices,
ranked choices, regex, JSON schema) is constrained, ranked and parsed exactly as in run(),
batched on the local model, and the response cache keeps it apart from free text."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from support.recording_backend import RecordingBackend

from promptcraft.backends.local import LocalBackend
from promptcraft.evaluation import evaluate
from promptcraft.evaluation.response_cache import ResponseCache
from promptcraft.prompts.template import PromptTemplate
from promptcraft.structured import ChoiceRanking

ROWS = [
    {"text": "Win a prize now!", "expected": "spam"},
    {"text": "Hello mum, see you at dinner", "expected": "ham"},
    {"text": "Cheap pills online", "expected": "spam"},
    {"text": "Meeting moved to 3pm", "expected": "ham"},
    {"text": "Your account was suspended, click here", "expected": "spam"},
]
OUTPUTS: dict[str, Any] = {
    "choices": {"choices": ["spam", "ham"]},
    "rank_mean": {"choices": ["spam", "ham", "not sure"], "mode": "rank"},
    "rank_sum": {"choices": ["spam", "ham", "not sure"], "mode": "rank", "rank_by": "sum"},
    "rank_calibrated": {"choices": ["spam", "ham", "not sure"], "mode": "rank", "calibrate": True},
    "regex": {"regex": "[0-9]{2}:[0-9]{2}"},
    "json": {
        "schema": {
            "type": "object",
            "properties": {
                "label": {"type": "string", "maxLength": 8},
                "score": {"type": "integer"},
            },
            "required": ["label", "score"],
        }
    },
}


def _template(output: Any, name: str = "label") -> PromptTemplate:
    return PromptTemplate(
        "Text: {{ text }}\nAnswer:",
        name=name,
        inputs={"text": "str"},
        output=output,
        defaults={"max_tokens": 24, "temperature": 0},
    )


class CountingRanker(LocalBackend):
    """The local model, counting its calls to rank_choices and the prompts of each."""

    def __init__(self, backend: LocalBackend) -> None:
        super().__init__(backend.decoder, backend.tokenizer, model=backend.model)
        self.rank_calls: list[int] = []

    def rank_choices(self, prompts: Sequence[Any], options: Sequence[str]) -> list[ChoiceRanking]:
        self.rank_calls.append(len(prompts))
        return super().rank_choices(prompts, options)


@pytest.mark.parametrize("kind", list(OUTPUTS))
def test_evaluate_outputs_are_what_run_returns(local_backend: LocalBackend, kind: str) -> None:
    template = _template(OUTPUTS[kind])
    report = evaluate(template, data=ROWS, backend=local_backend, batch_size=4, progress=False)
    ran = [template.run(local_backend, text=row["text"]) for row in ROWS]
    outputs: list[Any] = [item.output for item in report.items]
    if kind == "json":
        outputs = [json.loads(text) for text in outputs]
    assert outputs == ran
    assert all(item.error is None for item in report.items)


def test_choices_from_an_input_are_evaluated_as_run_answers_them(
    local_backend: LocalBackend,
) -> None:
    template = PromptTemplate(
        "Text: {{ text }}\nLabel ({{ labels|join('/') }}):",
        name="labels",
        inputs={"text": "str", "labels": {"type": "list[str]", "default": ["spam", "ham"]}},
        output={"choices_from": "labels", "mode": "rank", "calibrate": True},
    )
    rows = [
        {**row, "labels": ["junk", "fine", "unsure"]} if i % 2 else row
        for i, row in enumerate(ROWS)
    ]
    report = evaluate(template, data=rows, backend=local_backend, batch_size=4, progress=False)
    inputs = [{k: v for k, v in row.items() if k != "expected"} for row in rows]
    ran = [template.run(local_backend, **row) for row in inputs]
    assert [item.output for item in report.items] == ran
    assert ran[0] in ("spam", "ham") and ran[1] in ("junk", "fine", "unsure")


def test_ranked_choices_share_one_ranking_call(local_backend: LocalBackend) -> None:
    backend = CountingRanker(local_backend)
    evaluate(
        _template(OUTPUTS["rank_mean"]), data=ROWS, backend=backend, batch_size=2, progress=False
    )
    assert backend.rank_calls == [len(ROWS)]  # the prefix they share is computed once


def test_a_choices_template_is_scored_on_its_constrained_answer(
    local_backend: LocalBackend,
) -> None:
    report = evaluate(
        _template(OUTPUTS["choices"]),
        data=ROWS,
        backend=local_backend,
        metric="exact",
        progress=False,
    )
    assert {item.output for item in report.items} <= {"spam", "ham"}


def test_the_cache_keeps_free_text_and_each_output_apart(local_backend: LocalBackend) -> None:
    cache = ResponseCache(":memory:")
    free = evaluate(
        _template("text"), data=ROWS, backend=local_backend, cache=cache, progress=False
    )
    ranked = evaluate(
        _template(OUTPUTS["rank_mean"]),
        data=ROWS,
        backend=local_backend,
        cache=cache,
        progress=False,
    )
    summed = evaluate(
        _template(OUTPUTS["rank_sum"]),
        data=ROWS,
        backend=local_backend,
        cache=cache,
        progress=False,
    )
    assert (free.cache_hits, ranked.cache_hits, summed.cache_hits) == (0, 0, 0)
    again = evaluate(
        _template(OUTPUTS["rank_sum"]),
        data=ROWS,
        backend=local_backend,
        cache=cache,
        progress=False,
    )
    assert again.cache_hits == len(ROWS)
    assert [i.output for i in again.items] == [i.output for i in summed.items]


def test_a_server_backend_gets_the_answer_parsed_as_run_parses_it() -> None:
    backend = RecordingBackend(lambda prompt, request: "Spam.")
    template = _template(OUTPUTS["choices"])
    report = evaluate(template, data=ROWS[:2], backend=backend, progress=False)
    assert [item.output for item in report.items] == ["spam", "spam"]
    assert template.run(backend, text="hi") == "spam"


def test_an_answer_that_never_parses_is_a_generation_error_as_in_run() -> None:
    backend = RecordingBackend(lambda prompt, request: "I cannot say")
    report = evaluate(_template(OUTPUTS["choices"]), data=ROWS[:1], backend=backend, progress=False)
    (item,) = report.items
    assert item.score == 0.0 and item.error_stage == "generate"
    assert "StructuredOutputError" in (item.error or "")
    assert backend.calls == 3  # the first try and run()'s two retries
