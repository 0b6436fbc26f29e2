"""Scoring an evaluation's answers, and summing each variant up."""

from __future__ import annotations

from typing import Any

from .metrics import Metric, MetricResult, ScoringContext, as_result
from .plan import Plan, Slot
from .report import ItemResult, VariantResult
from .stats import mean_interval
from .variants import Variant

__all__ = ["score_slot", "summarize"]


def score_slot(slot: Slot, plan: Plan, metric: Metric) -> ItemResult:
    """The result of one slot: its answer scored by ``metric``, or the error that stopped it
    (a failed render or generation scores 0; a metric that raises leaves the score None)."""
    common: dict[str, Any] = {
        "variant": slot.variant.name,
        "row": slot.row.index,
        "where": slot.row.where,
        "repeat": slot.repeat,
        "inputs": slot.inputs,
        "expected": slot.row.expected,
        "prompt": slot.prompt,
    }
    if slot.key is None:
        return ItemResult(**common, score=0.0, error=slot.error, error_stage="render")
    answer = plan.answers.get(slot.key)
    if answer is None:  # every planned request is answered before scoring starts
        raise RuntimeError(f"no answer for {slot.row.where} in variant {slot.variant.name!r}")
    if isinstance(answer, BaseException):
        return ItemResult(
            **common,
            score=0.0,
            error=f"{type(answer).__name__}: {answer}",
            error_stage="generate",
        )
    cost: dict[str, Any] = {
        "output": answer.text,
        "finish_reason": answer.finish_reason,
        "prompt_tokens": answer.usage.prompt_tokens,
        "completion_tokens": answer.usage.completion_tokens,
        "cached_prompt_tokens": answer.usage.cached_prompt_tokens,
        "seconds": answer.seconds,
        "from_cache": slot.key in plan.from_cache,
    }
    context = ScoringContext(inputs=slot.row.inputs, output_spec=slot.variant.template.output)
    try:
        result: MetricResult = as_result(
            metric.score(answer.text, slot.row.expected, context), metric.name
        )
    except Exception as exc:
        return ItemResult(
            **common,
            **cost,
            score=None,
            error=f"metric {metric.name!r} raised {type(exc).__name__}: {exc}",
            error_stage="metric",
        )
    return ItemResult(**common, **cost, score=result.score, detail=result.detail)


def summarize(variant: Variant, items: list[ItemResult], backend: str) -> VariantResult:
    """A variant's mean score over rows (each row's mean over its repeats) with its 95%
    interval, its error counts, and its cost summed over its items."""
    per_row: dict[int, list[float]] = {}
    for item in items:
        if item.score is not None:
            per_row.setdefault(item.row, []).append(item.score)
    scores = [sum(s) / len(s) for s in per_row.values()]
    selection = variant.selection
    shown_k = selection.k if selection is not None else None
    return VariantResult(
        name=variant.name,
        template=variant.template_name,
        kind=variant.template.kind,
        strategy=selection.strategy if selection is not None else None,
        k=shown_k,
        seed=selection.seed if selection is not None and selection.strategy == "random_k" else None,
        max_prompt_tokens=selection.max_prompt_tokens if selection is not None else None,
        backend=backend,
        score=mean_interval(scores),
        items=len(items),
        errors=sum(1 for i in items if i.error is not None),
        metric_errors=sum(1 for i in items if i.error_stage == "metric"),
        prompt_tokens=sum(i.prompt_tokens for i in items),
        completion_tokens=sum(i.completion_tokens for i in items),
        cached_prompt_tokens=sum(i.cached_prompt_tokens for i in items),
        seconds=sum(i.seconds for i in items),
        from_cache=sum(1 for i in items if i.from_cache),
    )
