"""Tuning the local model: prompt tuning, prefix tuning and partial or full fine-tuning,
saved as small adapters that :class:`~promptcraft.backends.local.LocalBackend` serves.

Start with :func:`tune`. Names are imported lazily: this package imports torch only when a
name that needs it is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "METHODS": "promptcraft.tuning.methods",
    "TuningMethod": "promptcraft.tuning.methods",
    "Adapter": "promptcraft.tuning.adapter",
    "AdapterInfo": "promptcraft.tuning.adapter",
    "load_adapter": "promptcraft.tuning.adapter",
    "model_fingerprint": "promptcraft.tuning.adapter",
    "TuningConfig": "promptcraft.tuning.trainer",
    "TuningExample": "promptcraft.tuning.data",
    "read_examples": "promptcraft.tuning.data",
    "TuningInterrupted": "promptcraft.tuning.api",
    "TuningReport": "promptcraft.tuning.api",
    "run_tuning": "promptcraft.tuning.api",
    "tune": "promptcraft.tuning.api",
    "compare_methods": "promptcraft.tuning.compare",
    "comparison_table": "promptcraft.tuning.compare",
    "plot_comparison": "promptcraft.tuning.compare",
}

__all__ = [
    "METHODS",
    "Adapter",
    "AdapterInfo",
    "TuningConfig",
    "TuningExample",
    "TuningInterrupted",
    "TuningMethod",
    "TuningReport",
    "compare_methods",
    "comparison_table",
    "load_adapter",
    "model_fingerprint",
    "plot_comparison",
    "read_examples",
    "run_tuning",
    "tune",
]

__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .adapter import Adapter, AdapterInfo, load_adapter, model_fingerprint
    from .api import TuningInterrupted, TuningReport, run_tuning, tune
    from .compare import compare_methods, comparison_table, plot_comparison
    from .data import TuningExample, read_examples
    from .methods import METHODS, TuningMethod
    from .trainer import TuningConfig
