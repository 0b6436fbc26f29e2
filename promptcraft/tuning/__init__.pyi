"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..nn.adapters import (
    Adapter as Adapter,
    AdapterInfo as AdapterInfo,
    load_adapter as load_adapter,
    model_fingerprint as model_fingerprint,
)
from .api import (
    TuningInterrupted as TuningInterrupted,
    TuningReport as TuningReport,
    run_tuning as run_tuning,
    tune as tune,
)
from .compare import (
    compare_methods as compare_methods,
    comparison_table as comparison_table,
    plot_comparison as plot_comparison,
)
from .data import TuningExample as TuningExample, read_examples as read_examples
from .methods import METHODS as METHODS, TuningMethod as TuningMethod
from .trainer import TuningConfig as TuningConfig
