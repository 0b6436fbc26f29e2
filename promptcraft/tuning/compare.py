"""``promptcraft tune --compare``: every method on one dataset, side by side.

Each method starts from a fresh load of the same base model with the same seed and split, so
the rows differ only in what is trained. The table reports trained parameters, training
time, held-out exact match (on ``test_data`` when given, else the validation split) before
and after, and the adapter's size on disk.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .api import TuningReport, run_tuning
from .data import TemplateRef, TuningData
from .methods import METHODS, TuningMethod
from .trainer import TuningConfig

__all__ = ["compare_methods", "comparison_table", "plot_comparison"]


def compare_methods(
    *,
    data: TuningData,
    template: TemplateRef = None,
    methods: Sequence[TuningMethod] = METHODS,
    model: str | os.PathLike[str] | None = None,
    out_dir: str | os.PathLike[str] = "adapters",
    test_data: TuningData | None = None,
    config: TuningConfig | None = None,
    on_report: Callable[[TuningReport], None] | None = None,
    **options: Any,
) -> list[TuningReport]:
    """Tune each of ``methods`` on ``data``; adapters go to ``out_dir/<method>.safetensors``.
    ``model`` is a name or path (None: the default model): each method loads it afresh."""
    reports = []
    for method in methods:
        report = run_tuning(
            method,
            data=data,
            template=template,
            model=model,
            out=Path(out_dir) / method,
            config=config,
            test_data=test_data,
            **options,
        )
        if on_report is not None:
            on_report(report)
        reports.append(report)
    return reports


def held_out(report: TuningReport) -> tuple[str, float | None, float | None]:
    """(which split, exact match before, after): the test set when there was one."""
    if report.test_examples:
        return "test", report.test_exact_match_before, report.test_exact_match
    return "validation", report.info.val_exact_match_before, report.info.val_exact_match


def comparison_table(reports: Sequence[TuningReport]) -> str:
    """A Markdown table: one row per method."""
    split = held_out(reports[0])[0] if reports else "test"
    lines = [
        f"| method | trained params | % of model | train time | {split} exact match "
        "before → after | adapter size | steps |",
        "| --- | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for report in reports:
        info = report.info
        _, before, after = held_out(report)
        share = 100 * info.trained_params / info.total_params
        lines.append(
            f"| {info.method} | {info.trained_params:,} | {share:.2f}% | "
            f"{info.train_seconds:.0f} s | {_percent(before)} → {_percent(after)} | "
            f"{_size(report.adapter_bytes)} | {info.steps} |"
        )
    return "\n".join(lines)


def plot_comparison(reports: Sequence[TuningReport], path: str | os.PathLike[str]) -> Path:
    """Draw held-out exact match, train time and adapter size per method to a PNG. Needs
    matplotlib (the ``train`` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "plotting needs matplotlib: pip install matplotlib (or, in a promptcraft clone, "
            "pip install -e '.[train]')"
        ) from exc
    names = [r.info.method for r in reports]
    split = held_out(reports[0])[0] if reports else "test"
    after = [100 * (held_out(r)[2] or 0.0) for r in reports]
    before = [100 * (held_out(r)[1] or 0.0) for r in reports]
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.6))
    positions = range(len(names))
    axes[0].bar([p - 0.2 for p in positions], before, width=0.4, label="before", color="#bbb")
    axes[0].bar([p + 0.2 for p in positions], after, width=0.4, label="after", color="#3a7")
    axes[0].set_ylabel(f"{split} exact match (%)")
    axes[0].set_ylim(0, 100)
    axes[0].legend(loc="lower right")
    axes[1].bar(names, [r.info.train_seconds for r in reports], color="#47a")
    axes[1].set_ylabel("train time (s)")
    axes[2].bar(names, [r.adapter_bytes / 1e3 for r in reports], color="#a74")
    axes[2].set_ylabel("adapter size (kB)")
    axes[2].set_yscale("log")
    for axis in axes:
        axis.set_xticks(list(positions), names, rotation=20)
    fig.tight_layout()
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


def _size(n: int) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} MB"
    return f"{n / 1e3:.1f} kB"
