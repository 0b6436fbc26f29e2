"""Realistic mistakes in an evaluation: refused before any generation, or reported honestly."""

from __future__ import annotations

import sqlite3
from fractions import Fraction
from pathlib import Path

import pytest
from support.recording_backend import RecordingBackend, last_line_word_count

import promptcraft as pc
from promptcraft.errors import DatasetError, EvaluationError
from promptcraft.evaluation import ResponseCache, evaluate
from promptcraft.types import Request

POOL = [{"input": "a b", "output": "2"}, {"input": "a b c", "output": "3"}]
ROWS = [{"input": "x y z", "expected": "3"}, {"input": "x", "expected": "1"}]


def _few_shot(**options: object) -> pc.PromptTemplate:
    return pc.FewShotPrompt(POOL, name="count", **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1])
def test_limit_below_one_is_refused(limit: int, counting_backend: RecordingBackend) -> None:
    with pytest.raises(DatasetError, match="give N of 1 or more"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, limit=limit, progress=False)
    assert counting_backend.calls == 0


def test_null_expected_is_refused_naming_the_row(counting_backend: RecordingBackend) -> None:
    rows = [ROWS[0], {"input": "x", "expected": None}]
    with pytest.raises(DatasetError, match=r"^row 2: 'expected' is null, and metric 'exact'"):
        evaluate(_few_shot(), data=rows, backend=counting_backend, progress=False)


def test_repeat_with_greedy_decoding_is_refused(counting_backend: RecordingBackend) -> None:
    with pytest.raises(EvaluationError, match="repeat=3 with greedy decoding"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, repeat=3, progress=False)
    assert counting_backend.calls == 0


def test_greedy_variants_generate_once_for_all_repeats(
    counting_backend: RecordingBackend,
) -> None:
    sampled = pc.PrefixPrompt(
        "Count.",
        input_label="Input",
        output_label="Output",
        name="sampled",
        defaults={"temperature": 0.7},
    )
    report = evaluate(
        [_few_shot(), sampled], data=ROWS, backend=counting_backend, repeat=3, progress=False
    )
    assert counting_backend.calls == len(ROWS) * (1 + 3)  # greedy once, sampled three times
    assert len(report.items_of("count")) == len(ROWS) * 3


def test_choice_metric_without_choices_fails_before_generation(
    counting_backend: RecordingBackend,
) -> None:
    with pytest.raises(EvaluationError, match="template 'count' declares none"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, metric="choice", progress=False)
    assert counting_backend.calls == 0


def test_metric_function_of_the_wrong_arity_fails_before_generation(
    counting_backend: RecordingBackend,
) -> None:
    def judge(output: str) -> bool:
        return bool(output)

    with pytest.raises(EvaluationError, match=r"cannot be called as judge\(output, expected\)"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, metric=judge, progress=False)
    assert counting_backend.calls == 0


def test_metric_may_return_any_real_number(counting_backend: RecordingBackend) -> None:
    report = evaluate(
        _few_shot(),
        data=ROWS,
        backend=counting_backend,
        metric=lambda output, expected: Fraction(1, 2),
        progress=False,
    )
    assert [item.score for item in report.items] == [0.5, 0.5]


def test_variant_whose_metric_failed_everywhere_has_no_score(
    counting_backend: RecordingBackend,
) -> None:
    def broken(output: str, expected: str) -> float:
        raise KeyError("label")

    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, metric=broken, progress=False
    )
    score = report.variants[0].score
    assert (score.mean, score.n) == (None, 0)
    with pytest.raises(EvaluationError, match="no variant has a score"):
        report.best()


def test_best_skips_a_variant_with_no_score() -> None:
    def strict(output: str, expected: str) -> float:
        if output.strip() == "?":
            raise ValueError("not an answer")
        return 0.0

    def answer(prompt: str, request: Request) -> str:
        return "?" if prompt.startswith("Say") else " 0"

    report = evaluate(
        [pc.PrefixPrompt("Say.", name="unscored"), _few_shot()],
        data=ROWS,
        backend=RecordingBackend(answer),
        metric=strict,
        progress=False,
    )
    assert report.variant("unscored").score.mean is None
    assert report.best().name == "count"  # scored 0, and still the best that has a score


def test_table_shows_a_dash_for_a_variant_with_no_score(
    counting_backend: RecordingBackend,
) -> None:
    def broken(output: str, expected: str) -> float:
        raise KeyError("label")

    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, metric=broken, progress=False
    )
    assert "| count | – | – | 0 | 2 |" in report.markdown_table()
    assert "0.0%" not in report.table_text(width=160)


def test_random_k_without_seeds_is_refused(counting_backend: RecordingBackend) -> None:
    with pytest.raises(EvaluationError, match="no seeds were given"):
        evaluate(
            _few_shot(),
            data=ROWS,
            backend=counting_backend,
            select="random_k,1",
            seeds=[],
            progress=False,
        )


def test_a_corrupt_cache_file_is_refused_naming_it(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    cache = tmp_path / "eval.sqlite"
    cache.write_bytes(b"not a database " * 100)
    with pytest.raises(EvaluationError, match=f"response cache {cache} cannot be used as a cache"):
        evaluate(_few_shot(), data=ROWS, backend=counting_backend, cache=cache, progress=False)
    assert counting_backend.calls == 0


def test_a_cache_that_breaks_mid_run_warns_and_the_run_goes_on(tmp_path: Path) -> None:
    store = ResponseCache(tmp_path / "eval.sqlite")
    other = sqlite3.connect(tmp_path / "eval.sqlite")
    other.execute("DROP TABLE completions")  # the cache breaks while the run is on
    other.commit()
    other.close()
    backend = RecordingBackend(last_line_word_count)
    with pytest.warns(RuntimeWarning, match="cannot read completions .* the run goes on"):
        report = evaluate(_few_shot(), data=ROWS, backend=backend, cache=store, progress=False)
    store.close()
    assert [item.output for item in report.items] == [" 3", " 1"]


def test_repeat_seeds_still_vary_when_sampling() -> None:
    seeds: list[int | None] = []

    def record(prompt: str, request: Request) -> str:
        seeds.append(request.params.seed)
        return " 3"

    evaluate(
        _few_shot(defaults={"temperature": 0.5}),
        data=ROWS[:1],
        backend=RecordingBackend(record),
        repeat=2,
        progress=False,
    )
    assert sorted(s or 0 for s in seeds) == [0, 1]


def test_two_variants_of_one_name_are_refused(counting_backend: RecordingBackend) -> None:
    clash = pc.PrefixPrompt("Count.", name="count first_k k=1")  # no examples: as written
    with pytest.raises(EvaluationError, match="both named 'count first_k k=1'"):
        evaluate(
            [clash, _few_shot()],
            data=ROWS,
            backend=counting_backend,
            select="first_k,1",
            progress=False,
        )


def test_chart_of_a_variant_with_no_score_is_a_png(
    tmp_path: Path, counting_backend: RecordingBackend
) -> None:
    pytest.importorskip("matplotlib")

    def broken(output: str, expected: str) -> float:
        raise KeyError("label")

    report = evaluate(
        _few_shot(), data=ROWS, backend=counting_backend, metric=broken, progress=False
    )
    path = report.save(tmp_path / "chart.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
