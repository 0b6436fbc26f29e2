"""Prompt evaluation: compare prompt variants, example selections and backends on a dataset.

Start with :func:`evaluate` (or ``promptcraft eval`` on the command line); it returns an
:class:`EvalReport` to print, chart and save. Names are imported lazily, so importing this
package costs nothing until it is used (and never imports torch by itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "Choice": "promptcraft.evaluation.metrics",
    "Contains": "promptcraft.evaluation.metrics",
    "DataRow": "promptcraft.evaluation.dataset",
    "EvalReport": "promptcraft.evaluation.report",
    "ExactMatch": "promptcraft.evaluation.metrics",
    "Interval": "promptcraft.evaluation.stats",
    "ItemResult": "promptcraft.evaluation.report",
    "JsonSchemaMatch": "promptcraft.evaluation.json_output",
    "Metric": "promptcraft.evaluation.metrics",
    "MetricResult": "promptcraft.evaluation.metrics",
    "PythonMetric": "promptcraft.evaluation.metrics",
    "RegexMatch": "promptcraft.evaluation.metrics",
    "ResponseCache": "promptcraft.evaluation.response_cache",
    "ScoringContext": "promptcraft.evaluation.metrics",
    "Selection": "promptcraft.evaluation.variants",
    "VariantResult": "promptcraft.evaluation.report",
    "evaluate": "promptcraft.evaluation.run",
    "load_dataset": "promptcraft.evaluation.dataset",
    "parse_metric": "promptcraft.evaluation.metrics",
    "parse_selection": "promptcraft.evaluation.variants",
    "wilson_interval": "promptcraft.evaluation.stats",
}

__all__ = [
    "Choice",
    "Contains",
    "DataRow",
    "EvalReport",
    "ExactMatch",
    "Interval",
    "ItemResult",
    "JsonSchemaMatch",
    "Metric",
    "MetricResult",
    "PythonMetric",
    "RegexMatch",
    "ResponseCache",
    "ScoringContext",
    "Selection",
    "VariantResult",
    "evaluate",
    "load_dataset",
    "parse_metric",
    "parse_selection",
    "wilson_interval",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .dataset import DataRow, load_dataset
    from .json_output import JsonSchemaMatch
    from .metrics import (
        Choice,
        Contains,
        ExactMatch,
        Metric,
        MetricResult,
        PythonMetric,
        RegexMatch,
        ScoringContext,
        parse_metric,
    )
    from .report import EvalReport, ItemResult, VariantResult
    from .response_cache import ResponseCache
    from .run import evaluate
    from .stats import Interval, wilson_interval
    from .variants import Selection, parse_selection
