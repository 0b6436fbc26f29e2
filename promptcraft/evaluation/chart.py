"""The PNG chart of an :class:`~.report.EvalReport` (matplotlib, the ``eval`` extra).

Left: every variant's score with its 95% interval as an error bar. Right, when the grid
varies k: score against k, one line per (template, strategy, backend), the interval as a
band; random_k seeds are averaged into one line with the spread of their means. Variants
without k (a prefix prompt) are dashed levels on the same axes.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import EvaluationError

if TYPE_CHECKING:
    from .report import EvalReport, VariantResult

__all__ = ["save_chart"]


def save_chart(report: EvalReport, path: Path, *, title: str | None = None) -> Path:
    plt = _pyplot()
    colors = _group_colors(report.variants)
    curves = _k_curves(report.variants)
    panels = 2 if curves else 1
    height = max(3.0, 0.32 * len(report.variants) + 1.2)
    figure, axes = plt.subplots(
        1, panels, figsize=(6.5 * panels, height), squeeze=False, constrained_layout=True
    )
    _bars(axes[0][0], report, colors)
    if curves:
        _curves(axes[0][1], curves, colors, [v for v in report.variants if v.k is None])
    figure.suptitle(title or f"{report.metric}: {report.rows} rows, 95% intervals")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise EvaluationError(
            "the chart needs matplotlib: pip install matplotlib (or, in a promptcraft clone, "
            "pip install -e '.[eval]'); the JSON and CSV reports do not"
        ) from None
    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt

    return plt


def _group(variant: VariantResult, several_backends: bool) -> str:
    """The line a variant belongs to: its template and strategy (and backend, if several)."""
    label = variant.template + (f" {variant.strategy}" if variant.strategy else "")
    return label + (f" @ {variant.backend}" if several_backends else "")


def _group_colors(variants: list[VariantResult]) -> dict[str, str]:
    """One colour per group, in order of appearance: a bar and its line share it."""
    palette = [f"C{i}" for i in range(10)]
    several = len({v.backend for v in variants}) > 1
    colors: dict[str, str] = {}
    for v in variants:
        colors.setdefault(_group(v, several), palette[len(colors) % len(palette)])
    return colors


def _bars(ax: Any, report: EvalReport, colors: dict[str, str]) -> None:
    variants = report.variants
    ys = list(range(len(variants)))[::-1]
    # A variant with no scored item has no bar (and says so in its label).
    means = [v.score.mean or 0.0 for v in variants]
    # A bootstrap interval can sit a rounding error past its mean; matplotlib refuses
    # negative error bars.
    errors = [
        [0.0 if v.score.mean is None else max(0.0, v.score.mean - v.score.low) for v in variants],
        [0.0 if v.score.mean is None else max(0.0, v.score.high - v.score.mean) for v in variants],
    ]
    several = len({v.backend for v in variants}) > 1
    ax.barh(
        ys,
        means,
        xerr=errors,
        color=[colors[_group(v, several)] for v in variants],
        ecolor="#333333",
        capsize=3,
        height=0.6,
    )
    labels = [v.name + (" (no score)" if v.score.mean is None else "") for v in variants]
    ax.set_yticks(ys, labels, fontsize=8)
    ax.set_xlim(0, 1)
    ax.set_xlabel("score")
    ax.set_title("score per variant")
    ax.grid(axis="x", alpha=0.3)


Curve = list[tuple[int, float, float, float]]


def _k_curves(variants: list[VariantResult]) -> dict[str, tuple[Curve, int]]:
    """(k, mean, low, high) points per (template, strategy, backend) with two or more k, and
    how many seeds each point averages."""
    grouped: dict[str, dict[int, list[VariantResult]]] = defaultdict(lambda: defaultdict(list))
    several = len({v.backend for v in variants}) > 1
    for v in variants:
        if v.k is None or v.strategy is None or v.score.mean is None:
            continue
        grouped[_group(v, several)][v.k].append(v)
    curves: dict[str, tuple[Curve, int]] = {}
    for label, by_k in grouped.items():
        if len(by_k) < 2:
            continue
        points = []
        for k in sorted(by_k):
            runs = by_k[k]
            if len(runs) == 1:
                s = runs[0].score
                points.append((k, s.mean or 0.0, s.low, s.high))
            else:  # several seeds: their average, and the range of their means
                means = [r.score.mean or 0.0 for r in runs]
                points.append((k, sum(means) / len(means), min(means), max(means)))
        curves[label] = (points, max(len(runs) for runs in by_k.values()))
    return curves


def _curves(
    ax: Any,
    curves: dict[str, tuple[Curve, int]],
    colors: dict[str, str],
    references: list[VariantResult],
) -> None:
    for group, (points, seeds) in curves.items():
        ks = [p[0] for p in points]
        color = colors.get(group, "C0")
        label = group + (f" (mean of {seeds} seeds, band: their range)" if seeds > 1 else "")
        ax.plot(ks, [p[1] for p in points], marker="o", label=label, color=color)
        ax.fill_between(ks, [p[2] for p in points], [p[3] for p in points], alpha=0.15, color=color)
    for reference in references:  # variants without k (a prefix prompt): a level to beat
        if reference.score.mean is None:
            continue
        ax.axhline(reference.score.mean, linestyle="--", linewidth=1, color="#777777")
        ax.annotate(
            reference.name,
            (0, reference.score.mean),
            xycoords=("axes fraction", "data"),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
            color="#555555",
        )
    all_k = sorted({p[0] for points, _ in curves.values() for p in points})
    ax.set_xticks(all_k)
    ax.set_ylim(0, 1)
    ax.set_xlabel("k (examples in the prompt)")
    ax.set_ylabel("score")
    ax.set_title("score against k")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
