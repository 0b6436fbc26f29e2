"""``evaluate``: run prompt variants over a dataset on one or more backends, and score them.

::

    report = pc.evaluate(
        templates=["sentiment.prompt", "sentiment_fewshot.prompt"],
        data="reviews.jsonl",
        metric="choice",
        select=["first_k,0,2,4", "similar_k,4"],
        cache=".promptcraft/eval.sqlite",
    )
    report.print_table()
    report.save_chart("eval.png")

The steps: load and check the dataset; build the grid (templates × selections × backends);
render every (variant, row) up front, so a row missing an input fails before any
generation; answer what the response cache already holds; send the rest (batched on the
local model, concurrently on servers) with a progress bar; score every output.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ..backends.base import Backend
from ..coerce import merge_params
from ..errors import EvaluationError
from ..prompts.template import PromptTemplate
from ..types import GenerationParams
from .dataset import load_dataset
from .metrics import Metric, parse_metric
from .plan import Plan, answer_plan, is_greedy, plan_variant
from .report import EvalReport
from .response_cache import ResponseCache
from .scoring import score_slot, summarize
from .variants import Selection, build_grid, parse_selection, unique_names

__all__ = ["evaluate"]

TemplateLike = PromptTemplate | str | Path
BackendLike = Backend | str | None


def evaluate(
    templates: TemplateLike | Sequence[TemplateLike],
    *,
    data: str | Path | Iterable[Mapping[str, Any]],
    backend: BackendLike = None,
    backends: Sequence[BackendLike] | None = None,
    metric: str | Metric | Callable[..., Any] = "exact",
    select: str | Selection | Sequence[str | Selection] | None = None,
    seeds: Sequence[int] = (0,),
    repeat: int = 1,
    params: GenerationParams | Mapping[str, Any] | None = None,
    expected_key: str = "expected",
    limit: int | None = None,
    cache: str | Path | ResponseCache | None = None,
    batch_size: int = 8,
    concurrency: int = 8,
    progress: bool = True,
) -> EvalReport:
    """Score every variant of the grid on ``data`` and return the :class:`EvalReport`.

    - ``templates``: PromptTemplates, ``.prompt`` paths or library names.
    - ``backend`` / ``backends``: one or several backends or specs (``None``: the bundled
      model). Several backends multiply the grid.
    - ``data``: a JSONL path or a list of rows (see :mod:`.dataset`); ``limit`` keeps the
      first rows.
    - ``metric``: a name (``exact``, ``contains``, ``choice``, ``regex:...``,
      ``json_schema``, ``python:module:function``), a Metric or a function.
    - ``select``: example selections such as ``"first_k,0,1,2,4,8"``, ``"random_k,4"`` (one
      variant per seed in ``seeds``), ``"similar_k,4"``, ``"within_budget,300"``; ``None``
      takes each template's own selection.
    - ``repeat``: run each row this many times (seeds ``seed``, ``seed + 1``, ...; useful
      with ``temperature > 0``); an item's score is its mean over the repeats.
    - ``params``: generation parameters over the template defaults (greedy by default).
    - ``cache``: a SQLite file (or :class:`ResponseCache`) of completions: a re-run answers
      from it, an interrupted run resumes. ``None``: no cache.
    - ``batch_size``: prompts per batch on the local model; ``concurrency``: requests in
      flight on a server.

    A row missing an input a template needs raises :class:`~promptcraft.errors.DatasetError`
    (file and line) before anything is generated; so do a metric that cannot score a
    template and ``repeat`` with greedy decoding only. A failed render or generation scores 0
    on its item; a metric that raises is recorded on the item, which is left out of the mean
    (a variant with no scored item has no mean: ``score.mean`` is None).
    """
    started = time.perf_counter()
    if repeat < 1:
        raise EvaluationError(f"repeat must be at least 1, not {repeat}")
    rows = load_dataset(data, expected_key=expected_key, limit=limit)
    scorer = parse_metric(metric)
    if scorer.needs_expected:
        lacking = next((r for r in rows if not r.has_expected or r.expected is None), None)
        if lacking is not None:
            what = (
                f"{expected_key!r} is null, and metric {scorer.name!r} needs an expected answer"
                if lacking.has_expected
                else f"no {expected_key!r} field, which metric {scorer.name!r} needs"
            )
            raise lacking.error(f"{what} (row fields: {', '.join(lacking.inputs) or 'none'})")
    named = _load_templates(templates)
    selections = _selections(select, seeds)
    overrides = _param_overrides(params)
    _check_metric(scorer, named)
    _check_repeat(repeat, named, overrides)
    loaded = _load_backends(backend, backends)
    labels = [label for label, _ in loaded] if len(loaded) > 1 else [""]
    grid = build_grid(named, selections, labels)
    _check_variant_names(grid)
    by_label = {label: b for label, b in loaded} if len(loaded) > 1 else {"": loaded[0][1]}

    plan = Plan()
    for variant in grid:
        plan_variant(plan, variant, by_label[variant.backend], rows, overrides, repeat)

    store = _open_cache(cache)
    try:
        answer_plan(plan, store, by_label, batch_size, concurrency, progress)
    finally:
        if store is not None and not isinstance(cache, ResponseCache):
            store.close()
        for (_, opened), given in zip(loaded, _wanted(backend, backends), strict=True):
            if not isinstance(given, Backend):  # loaded here from a spec: ours to close
                opened.close()

    items = [score_slot(slot, plan, scorer) for slot in plan.slots]
    label_of = {label: label or loaded[0][0] for label in by_label}
    variants = [
        summarize(v, [i for i in items if i.variant == v.name], label_of[v.backend]) for v in grid
    ]
    return EvalReport(
        metric=scorer.name,
        data=str(data) if isinstance(data, (str, Path)) else "<list>",
        rows=len(rows),
        repeat=repeat,
        variants=variants,
        items=items,
        wall_seconds=time.perf_counter() - started,
        generated=plan.generated,
        cache_hits=plan.cache_hits,
    )


# --- arguments ----------------------------------------------------------------------------------


def _load_templates(templates: TemplateLike | Sequence[TemplateLike]) -> list[tuple[str, Any]]:
    if isinstance(templates, (PromptTemplate, str, Path)):
        templates = [templates]
    loaded = [_load_template(t) for t in templates]
    if not loaded:
        raise EvaluationError("evaluate() needs at least one template")
    names = unique_names(t.name for t in loaded)
    return list(zip(names, loaded, strict=True))


def _check_metric(scorer: Metric, named: list[tuple[str, Any]]) -> None:
    """Let the metric refuse, before any generation, a template it can never score."""
    check = getattr(scorer, "check_template", None)
    if callable(check):
        for name, template in named:
            check(name, template)


def _check_variant_names(grid: Sequence[Any]) -> None:
    """Items are matched to their variant by name: two variants of one name would share (and
    mix) their items."""
    seen: set[str] = set()
    for variant in grid:
        if variant.name in seen:
            raise EvaluationError(
                f"two variants are both named {variant.name!r} (a template's name, then its "
                "selection's label): rename one of the templates"
            )
        seen.add(variant.name)


def _check_repeat(repeat: int, named: list[tuple[str, Any]], overrides: dict[str, Any]) -> None:
    if repeat > 1 and all(is_greedy(template, overrides) for _, template in named):
        raise EvaluationError(
            f"repeat={repeat} with greedy decoding (temperature 0) gives the same answer every "
            "time; sample with a temperature above 0 (params={'temperature': 0.7}, or "
            "--temperature 0.7), or run once"
        )


def _load_template(ref: TemplateLike) -> PromptTemplate:
    if isinstance(ref, PromptTemplate):
        return ref
    from ..prompts.library import PromptLibrary
    from ..prompts.promptfile import load_prompt

    path = Path(ref)
    if path.suffix == ".prompt" or path.is_file():
        return load_prompt(path)
    return PromptLibrary().get(str(ref))


def _selections(
    select: str | Selection | Sequence[str | Selection] | None, seeds: Sequence[int]
) -> list[Selection]:
    if select is None:
        return []
    if isinstance(select, (str, Selection)):
        select = [select]
    chosen: list[Selection] = []
    for entry in select:
        for selection in parse_selection(entry, seeds=seeds) if isinstance(entry, str) else [entry]:
            if selection not in chosen:
                chosen.append(selection)
    return chosen


def _load_backends(
    backend: BackendLike, backends: Sequence[BackendLike] | None
) -> list[tuple[str, Backend]]:
    if backends is not None and backend is not None:
        raise EvaluationError("give backend= or backends=, not both")
    wanted = _wanted(backend, backends)
    if not wanted:
        raise EvaluationError("backends= is empty")
    from ..backends.spec import load_backend

    loaded = []
    for entry in wanted:
        if isinstance(entry, Backend):
            loaded.append((entry.model or type(entry).__name__, entry))
        else:
            loaded.append((entry or "local", load_backend(entry)))
    labels = unique_names(label for label, _ in loaded)
    return [(label, b) for label, (_, b) in zip(labels, loaded, strict=True)]


def _wanted(backend: BackendLike, backends: Sequence[BackendLike] | None) -> list[BackendLike]:
    return list(backends) if backends is not None else [backend]


def _param_overrides(params: GenerationParams | Mapping[str, Any] | None) -> dict[str, Any]:
    if params is None:
        return {}
    # merge_params raises InvalidRequestError naming an unknown or out-of-range parameter
    return merge_params(params, {}).model_dump(exclude_unset=True)


def _open_cache(cache: str | Path | ResponseCache | None) -> ResponseCache | None:
    if cache is None or isinstance(cache, ResponseCache):
        return cache
    return ResponseCache(cache)
