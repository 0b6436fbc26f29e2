"""``EvalReport``: what an evaluation found, per variant and per item.

Read it at a glance (:meth:`EvalReport.print_table`, :meth:`EvalReport.save_chart`), or keep
everything: :meth:`EvalReport.save_json` writes every item's prompt, output and score, and
:meth:`EvalReport.save_csv` the same items as a spreadsheet.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from ..errors import EvaluationError
from .stats import Interval

__all__ = ["EvalReport", "ItemResult", "VariantResult"]

ErrorStage = Literal["render", "generate", "metric"]


class ItemResult(BaseModel):
    """One row of the dataset run through one variant (once per repeat).

    ``score`` is None when the item could not be scored: its metric raised (``error`` says
    how). A failed render or generation scores 0: the variant did not produce an answer."""

    model_config = ConfigDict(frozen=True)

    variant: str
    row: int  # 0-based index in the dataset
    where: str  # file:line (or "row N") of the row
    repeat: int = 0
    inputs: dict[str, Any]
    expected: Any = None
    prompt: str | list[dict[str, Any]] | None = None  # text, or chat messages
    output: str | None = None
    finish_reason: str | None = None
    score: float | None = None
    detail: str | None = None  # the metric's note (what it extracted, what differed)
    error: str | None = None
    error_stage: ErrorStage | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_prompt_tokens: int = 0
    seconds: float = 0.0  # generation time (the item's share of its batch)
    from_cache: bool = False  # answered by the response cache, not generated in this run


class VariantResult(BaseModel):
    """One variant's score with its 95% interval, and what it cost."""

    model_config = ConfigDict(frozen=True)

    name: str
    template: str
    kind: str
    strategy: str | None = None  # None: the template's own selection
    k: int | None = None  # examples shown (the k of first_k/random_k/similar_k)
    seed: int | None = None
    max_prompt_tokens: int | None = None
    backend: str
    score: Interval
    items: int  # items run (rows × repeats)
    errors: int  # items with an error (render, generation or metric)
    metric_errors: int  # of those, items the metric could not score (left out of the mean)
    prompt_tokens: int
    completion_tokens: int
    cached_prompt_tokens: int
    seconds: float  # generation time of its items, whether now or when first cached
    from_cache: int  # items answered by the response cache


class EvalReport(BaseModel):
    """The result of :func:`~promptcraft.evaluation.evaluate`."""

    model_config = ConfigDict(frozen=True)

    metric: str
    data: str  # the dataset's path, or "<list>"
    rows: int
    repeat: int = 1
    variants: list[VariantResult]
    items: list[ItemResult]
    wall_seconds: float  # the whole run, rendering and scoring included
    generated: int  # requests sent to a backend in this run
    cache_hits: int  # requests the response cache answered

    # --- lookups -----------------------------------------------------------------------------

    def variant(self, name: str) -> VariantResult:
        """The variant of that name; ``KeyError`` lists the names."""
        for result in self.variants:
            if result.name == name:
                return result
        raise KeyError(f"no variant {name!r}; variants: {', '.join(v.name for v in self.variants)}")

    def best(self) -> VariantResult:
        """The variant with the highest mean score (the first one on ties); variants with no
        scored item do not compete. :class:`~promptcraft.errors.EvaluationError` when none has a
        score."""
        scored = [v for v in self.variants if v.score.mean is not None]
        if not scored:
            raise EvaluationError(
                "no variant has a score: the metric could not score any item (see items[i].error)"
            )
        return max(scored, key=lambda v: v.score.mean or 0.0)

    def items_of(self, name: str) -> list[ItemResult]:
        """The items of one variant, in dataset order."""
        return [item for item in self.items if item.variant == name]

    # --- output --------------------------------------------------------------------------------

    def print_table(self, console: Any = None) -> None:
        """The summary table in the terminal (rich): score with its 95% interval, errors,
        tokens and time per variant."""
        from .report_table import print_table

        print_table(self, console)

    def table_text(self, width: int = 120) -> str:
        """The summary table as plain text."""
        from .report_table import table_text

        return table_text(self, width)

    def markdown_table(self) -> str:
        """The summary table in Markdown."""
        from .report_table import markdown_table

        return markdown_table(self)

    def save_chart(self, path: str | Path, *, title: str | None = None) -> Path:
        """A PNG chart: score per variant with 95% error bars and, when the grid varies k,
        score against k per template and strategy. Needs matplotlib (the ``eval`` extra)."""
        from .chart import save_chart

        return save_chart(self, Path(path), title=title)

    def save_json(self, path: str | Path, *, items: bool = True) -> Path:
        """Everything: the summary and every item's prompt, output, score and cost
        (``items=False``: the summary only, with an empty item list)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        report = self if items else self.model_copy(update={"items": []})
        path.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def load_json(cls, path: str | Path) -> EvalReport:
        return cls.model_validate_json(Path(path).read_text(encoding="utf-8"))

    def save_csv(self, path: str | Path) -> Path:
        """One line per item; inputs, expected and chat prompts as JSON text."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fields = list(ItemResult.model_fields)
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            for item in self.items:
                row = item.model_dump()
                for key in ("inputs", "expected", "prompt"):
                    if not isinstance(row[key], str) and row[key] is not None:
                        row[key] = json.dumps(row[key], ensure_ascii=False)
                writer.writerow(row)
        return path

    def save(self, path: str | Path) -> Path:
        """By suffix: ``.json``, ``.csv`` or ``.png``."""
        suffix = Path(path).suffix.lower()
        if suffix == ".json":
            return self.save_json(path)
        if suffix == ".csv":
            return self.save_csv(path)
        if suffix == ".png":
            return self.save_chart(path)
        raise ValueError(
            f"cannot save a report as {suffix or 'a file without suffix'!r}; "
            "use .json, .csv or .png"
        )
