"""``evaluate`` end to end on scripted backends: grid, cache, errors, concurrency, reports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from support.recording_backend import RecordingBackend, last_line_word_count

import promptcraft as pc
from promptcraft.errors import DatasetError, EvaluationError
from promptcraft.evaluation import EvalReport, evaluate
from promptcraft.types import Request

POOL = [{"input": "a b", "output": "2"}, {"input": "a b c", "output": "3"}]
ROWS = [{"input": "x y z", "expected": "3"}, {"input": "x", "expected": "1"}]


def _few_shot() -> pc.PromptTemplate:
    return pc.FewShotPrompt(POOL, name="count")


def test_every_variant_gets_a_score(counting_backend: RecordingBackend) -> None:
    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, select="first_k,0,2", progress=False
    )
    assert [(v.name, v.score.mean) for v in report.variants] == [
        ("count first_k k=0", 1.0),
        ("count first_k k=2", 1.0),
    ]


def test_items_carry_prompt_output_and_score(counting_backend: RecordingBackend) -> None:
    report = evaluate(_few_shot(), data=ROWS, backend=counting_backend, progress=False)
    item = report.items[0]
    assert item.prompt is not None and item.prompt.endswith("Input: x y z\nOutput:")
    assert (item.output, item.score) == (" 3", 1.0)


def test_wrong_answers_lower_the_score() -> None:
    backend = RecordingBackend(lambda prompt, request: "3")
    report = evaluate(_few_shot(), data=ROWS, backend=backend, progress=False)
    assert report.variants[0].score.mean == 0.5


def test_variant_cost_sums_its_items_tokens(counting_backend: RecordingBackend) -> None:
    report = evaluate(_few_shot(), data=ROWS, backend=counting_backend, progress=False)
    variant = report.variants[0]
    assert variant.prompt_tokens == sum(i.prompt_tokens for i in report.items) > 0
    assert variant.completion_tokens == 2


def test_a_rerun_is_answered_by_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    first = RecordingBackend(last_line_word_count)
    evaluate(_few_shot(), data=ROWS, backend=first, cache=cache, progress=False)
    again = RecordingBackend(last_line_word_count)
    report = evaluate(_few_shot(), data=ROWS, backend=again, cache=cache, progress=False)
    assert again.calls == 0
    assert (report.cache_hits, report.generated) == (2, 0)
    assert report.variants[0].score.mean == 1.0


def test_an_interrupted_run_resumes_with_what_is_missing(tmp_path: Path) -> None:
    cache = tmp_path / "cache.sqlite"
    answered = 0

    def interrupted(prompt: str, request: Request) -> str:
        nonlocal answered
        if answered == 1:
            raise KeyboardInterrupt
        answered += 1
        return last_line_word_count(prompt, request)

    with pytest.raises(KeyboardInterrupt):
        evaluate(
            _few_shot(),
            data=ROWS,
            backend=RecordingBackend(interrupted),
            cache=cache,
            batch_size=1,
            concurrency=1,
            progress=False,
        )
    resumed = RecordingBackend(last_line_word_count)
    evaluate(_few_shot(), data=ROWS, backend=resumed, cache=cache, progress=False)
    assert resumed.calls == 1


def test_identical_requests_are_generated_once(counting_backend: RecordingBackend) -> None:
    # first_k k=0 and random_k k=0 render the same prompts
    evaluate(
        _few_shot(),
        data=ROWS,
        backend=counting_backend,
        select=["first_k,0", "random_k,0"],
        progress=False,
    )
    assert counting_backend.calls == 2


def test_a_row_missing_a_declared_input_names_file_and_line(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    data = tmp_path / "data.jsonl"
    data.write_text('{"input": "a", "expected": "1"}\n{"text": "b", "expected": "1"}\n')
    with pytest.raises(DatasetError, match=r"data\.jsonl:2: template 'count' needs input 'input'"):
        evaluate(_few_shot(), data=data, backend=counting_backend, progress=False)
    assert counting_backend.calls == 0


def test_a_row_missing_an_undeclared_variable_names_file_and_line(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    template = tmp_path / "t.prompt"
    template.write_text("---\nname: t\n---\nSay {{ word }}\n", encoding="utf-8")
    data = tmp_path / "data.jsonl"
    data.write_text('{"word": "a", "expected": "a"}\n{"other": "b", "expected": "b"}\n')
    with pytest.raises(DatasetError, match=r"data\.jsonl:2: .*needs input 'word'"):
        evaluate(template, data=data, backend=counting_backend, progress=False)


def test_extra_row_fields_are_not_passed_to_declared_inputs(
    counting_backend: RecordingBackend,
) -> None:
    rows = [{"input": "x y", "id": 1, "note": "n", "expected": "2"}]
    report = evaluate(_few_shot(), data=rows, backend=counting_backend, progress=False)
    assert report.items[0].inputs == {"input": "x y"}


def test_rows_without_expected_fail_for_metrics_that_need_it(
    counting_backend: RecordingBackend,
) -> None:
    with pytest.raises(DatasetError, match=r"row 1: no 'expected' field"):
        evaluate(_few_shot(), data=[{"input": "x"}], backend=counting_backend, progress=False)


def test_a_metric_that_raises_is_recorded_and_the_run_goes_on(
    counting_backend: RecordingBackend,
) -> None:
    def fragile(output: str, expected: str) -> bool:
        if expected == "1":
            raise ZeroDivisionError("boom")
        return output.strip() == expected

    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, metric=fragile, progress=False
    )
    failed = report.items[1]
    assert failed.score is None and failed.error_stage == "metric"
    assert "ZeroDivisionError: boom" in (failed.error or "")
    assert report.variants[0].score.n == 1
    assert report.variants[0].metric_errors == 1


def test_a_failed_generation_scores_zero_and_is_recorded() -> None:
    def refuse(prompt: str, request: Request) -> str:
        if "x y z" in prompt:
            raise pc.BackendError("server fell over")
        return " 1"

    report = evaluate(_few_shot(), data=ROWS, backend=RecordingBackend(refuse), progress=False)
    assert [(i.score, i.error_stage) for i in report.items] == [(0.0, "generate"), (1.0, None)]


def test_remote_backends_get_concurrent_requests() -> None:
    backend = RecordingBackend(last_line_word_count, delay=0.05)
    rows = [{"input": "w " * n, "expected": str(n)} for n in range(1, 9)]
    evaluate(_few_shot(), data=rows, backend=backend, concurrency=4, progress=False)
    assert backend.max_in_flight == 4


def test_repeat_sends_one_seed_per_repeat() -> None:
    seeds: list[int | None] = []

    def record(prompt: str, request: Request) -> str:
        seeds.append(request.params.seed)
        return " 3"

    report = evaluate(
        _few_shot(),
        data=ROWS[:1],
        backend=RecordingBackend(record),
        repeat=3,
        params={"temperature": 0.7},
        progress=False,
    )
    assert sorted(s for s in seeds if s is not None) == [0, 1, 2]
    assert len(report.items) == 3


def test_evaluation_is_greedy_unless_asked_otherwise() -> None:
    temperatures: list[float] = []

    def record(prompt: str, request: Request) -> str:
        temperatures.append(request.params.temperature)
        return " 3"

    evaluate(_few_shot(), data=ROWS[:1], backend=RecordingBackend(record), progress=False)
    assert temperatures == [0.0]


def test_unknown_generation_parameter_is_an_error(counting_backend: RecordingBackend) -> None:
    with pytest.raises(pc.InvalidRequestError, match="temprature"):
        evaluate(
            _few_shot(),
            data=ROWS,
            backend=counting_backend,
            params={"temprature": 0},
            progress=False,
        )


def test_several_backends_multiply_the_grid() -> None:
    a, b = RecordingBackend(last_line_word_count), RecordingBackend(lambda p, r: "0")
    a.model, b.model = "good", "bad"
    report = evaluate(_few_shot(), data=ROWS, backends=[a, b], progress=False)
    assert [(v.name, v.score.mean) for v in report.variants] == [
        ("count @ good", 1.0),
        ("count @ bad", 0.0),
    ]


def test_zero_repeats_is_an_error(counting_backend: RecordingBackend) -> None:
    with pytest.raises(EvaluationError, match="repeat"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, repeat=0, progress=False)


def test_report_round_trips_through_json(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    report = evaluate(_few_shot(), data=ROWS, backend=counting_backend, progress=False)
    path = report.save(tmp_path / "results.json")
    assert EvalReport.load_json(path) == report


def test_csv_report_has_one_line_per_item(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    report = evaluate(_few_shot(), data=ROWS, backend=counting_backend, progress=False)
    with report.save(tmp_path / "items.csv").open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert len(lines) == 1 + len(ROWS)
    assert lines[0][:3] == ["variant", "row", "where"]


def test_chart_is_a_png(tmp_path: Path, counting_backend: RecordingBackend) -> None:
    pytest.importorskip("matplotlib")
    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, select="first_k,0,1,2", progress=False
    )
    path = report.save(tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_chart_of_a_variant_that_never_scores_is_a_png(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    wrong = RecordingBackend(lambda prompt, request: "no")
    rows = [{"input": "x", "expected": "1"}] * 3  # 0 of 3: the Wilson bound rounds past 0
    report = evaluate(_few_shot(), data=rows, backend=wrong, progress=False)
    path = report.save(tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_table_lists_every_variant(counting_backend: RecordingBackend) -> None:
    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, select="first_k,0,2", progress=False
    )
    text = report.table_text(width=160)
    assert "count first_k k=0" in text and "count first_k k=2" in text


def test_results_json_holds_every_item(tmp_path: Path, counting_backend: RecordingBackend) -> None:
    report = evaluate(_few_shot(), data=ROWS, backend=counting_backend, progress=False)
    saved = json.loads(report.save_json(tmp_path / "r.json").read_text(encoding="utf-8"))
    assert [item["output"] for item in saved["items"]] == [" 3", " 1"]


def test_within_budget_keeps_prompts_inside_the_token_budget(
    counting_backend: RecordingBackend,
) -> None:
    pool = [{"input": " ".join(["word"] * n), "output": str(n)} for n in range(1, 9)]
    report = evaluate(
        pc.FewShotPrompt(pool, name="count"),
        data=ROWS,
        backend=counting_backend,
        select="within_budget,40",
        progress=False,
    )
    tokenizer = pc.get_tokenizer("cl100k_base")
    assert all(0 < tokenizer.count(str(item.prompt)) <= 40 for item in report.items)


def test_a_prompt_over_budget_is_a_render_error_scored_zero(
    counting_backend: RecordingBackend,
) -> None:
    rows = [{"input": "x " * 50, "expected": "50"}, {"input": "x", "expected": "1"}]
    report = evaluate(
        _few_shot(), data=rows, backend=counting_backend, select="within_budget,20", progress=False
    )
    assert [(i.score, i.error_stage) for i in report.items] == [(0.0, "render"), (1.0, None)]
    assert "budget" in (report.items[0].error or "")


def test_chat_templates_send_messages() -> None:
    seen: list[Request] = []

    def answer(prompt: str, request: Request) -> str:
        seen.append(request)
        return "2"

    template = pc.ChatPrompt("Count the words.", name="chat")
    report = evaluate(
        template,
        data=[{"input": "a b", "expected": "2"}],
        backend=RecordingBackend(answer),
        progress=False,
    )
    assert seen[0].messages is not None and seen[0].messages[-1].content == "a b"
    assert report.items[0].prompt == [
        {"role": "system", "content": "Count the words."},
        {"role": "user", "content": "a b"},
    ]
