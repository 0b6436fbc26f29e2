"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from .dataset import DataRow as DataRow, load_dataset as load_dataset
from .json_output import JsonSchemaMatch as JsonSchemaMatch
from .metrics import (
    Choice as Choice,
    Contains as Contains,
    ExactMatch as ExactMatch,
    Metric as Metric,
    MetricResult as MetricResult,
    PythonMetric as PythonMetric,
    RegexMatch as RegexMatch,
    ScoringContext as ScoringContext,
    parse_metric as parse_metric,
)
from .report import (
    EvalReport as EvalReport,
    ItemResult as ItemResult,
    VariantResult as VariantResult,
)
from .response_cache import ResponseCache as ResponseCache
from .run import evaluate as evaluate
from .stats import Interval as Interval, wilson_interval as wilson_interval
from .variants import Selection as Selection, parse_selection as parse_selection
