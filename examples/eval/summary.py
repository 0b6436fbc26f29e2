"""The three tasks side by side: ``summary.md`` (three tables) and ``summary_kinds.png``,
``summary_selection.png``, ``summary_output.png``, from the reports ``run_eval.py`` saved.

    python examples/eval/summary.py [RESULTS_FOLDER]   # rewrite them without running anything

Each cell is a score with its 95% interval. Random selection is the mean of its seeds, with
the lowest and highest seed in brackets instead of an interval.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from tasks import TASKS, task_named  # noqa: E402

from promptcraft.evaluation import EvalReport, VariantResult  # noqa: E402

KS = (0, 1, 2, 4, 8)
FREE_TEXT_KS = (0, 4)  # the k of the output evaluation (run_eval.py's OUTPUT_SELECT)
SELECTION_KINDS = (("few_shot", "few-shot"), ("hybrid", "hybrid"))
STRATEGIES = ("first_k", "random_k", "similar_k")
MODES = ("text, exact", "text, choice", "choices", "rank")
MODE_NAMES = {
    "text, exact": "free text, exactly a label",
    "text, choice": "free text, a label picked out",
    "choices": "constrained to the labels",
    "rank": "labels ranked by probability",
}
# (row label, variant name in the output report without its mode)
OUTPUT_PROMPTS = (
    ("prefix (zero-shot)", "prefix"),
    ("chat, zero-shot", "chat first_k k=0"),
    ("few-shot, k = 4", "few_shot first_k k=4"),
    ("hybrid, k = 4", "hybrid first_k k=4"),
    ("chat, k = 4", "chat first_k k=4"),
)

Reports = dict[str, dict[str, EvalReport]]  # task -> evaluation -> report


def load_reports(folder: Path, tasks: Sequence[str]) -> Reports:
    return {
        task: {
            study: EvalReport.load_json(folder / f"{task}_{study}.json")
            for study in ("kinds", "selection", "output")
        }
        for task in tasks
    }


def write_summary(folder: Path, tasks: Sequence[str]) -> None:
    reports = load_reports(folder, tasks)
    rows = {task: by_study["kinds"].rows for task, by_study in reports.items()}
    head = " | ".join(f"{t} ({rows[t]} rows)" for t in tasks)
    chance = " | ".join(f"{1 / len(task_named(t).labels):.0%}" for t in tasks)
    text = [
        "# The three tasks side by side\n",
        "Score (95% interval) per task; chance is one label in "
        f"{' / '.join(str(len(task_named(t).labels)) for t in tasks)} "
        f"({chance.replace(' | ', ' / ')}), and every label is as frequent as the others.\n",
        "## Prompt kinds and k (answers constrained to the labels)\n",
        _table(head, tasks, _kind_rows(), lambda t, n: _cell(reports[t]["kinds"], n)),
        "\nhybrid at k = 0 is the prefix prompt: the same text.\n",
        "## Which examples (few-shot and hybrid prompts)\n",
        _table(head, tasks, _selection_rows(), lambda t, n: _selection_cell(reports[t], n)),
        "\n## Reading the answer\n",
        _table(head, tasks, _output_rows(), lambda t, n: _cell(reports[t]["output"], n)),
        "\n## Cost: generation seconds per row\n",
        "Each answer's generation time, whether in this run or when first cached (by "
        "run_eval.py on the machine that ran it: see the README for which).\n",
        _table(head, tasks, _cost_rows(), lambda t, n: _cost_cell(reports[t], n)),
        "\n## This run: wall time of each evaluation\n",
        "Answers already in the response cache (shared with an earlier evaluation, or an "
        "earlier run with the same --cache) cost nothing.\n",
        _timing(reports, tasks),
    ]
    (folder / "summary.md").write_text("\n".join(text) + "\n", encoding="utf-8")
    try:
        import matplotlib
    except ImportError:  # the tables are written; the charts need matplotlib
        print("no summary charts: pip install matplotlib")
        return
    matplotlib.use("Agg")
    _kinds_chart(folder / "summary_kinds.png", reports)
    _selection_chart(folder / "summary_selection.png", reports)
    _output_chart(folder / "summary_output.png", reports)


def _kind_rows() -> list[tuple[str, str]]:
    rows = [("prefix (zero-shot)", "prefix")]
    for kind, label, ks in (
        ("few_shot", "few-shot", KS),
        ("hybrid", "hybrid", KS[1:]),
        ("chat", "chat", KS),
    ):
        rows += [(f"{label}, k = {k}", f"{kind} first_k k={k}") for k in ks]
    return rows


def _selection_rows() -> list[tuple[str, str]]:
    return [
        (f"{label}, {strategy}, k = {k}", f"{kind} {strategy} k={k}")
        for kind, label in SELECTION_KINDS
        for strategy in STRATEGIES
        for k in KS[1:]
    ]


def _output_rows() -> list[tuple[str, str]]:
    return [
        (f"{label}: {MODE_NAMES[mode]}", _with_mode(name, mode))
        for label, name in OUTPUT_PROMPTS
        for mode in MODES
    ]


def _with_mode(name: str, mode: str) -> str:
    """A variant's name in the output report: ``hybrid first_k k=4`` read as ``rank`` is
    ``hybrid (rank) first_k k=4``."""
    kind, _, selection = name.partition(" ")
    return f"{kind} ({mode})" + (f" {selection}" if selection else "")


def _table(
    head: str,
    tasks: Sequence[str],
    rows: list[tuple[str, str]],
    cell: Callable[[str, str], str],
) -> str:
    lines = [f"| prompt | {head} |", "| --- |" + " ---: |" * len(tasks)]
    lines += [
        f"| {label} | " + " | ".join(cell(t, name) for t in tasks) + " |" for label, name in rows
    ]
    return "\n".join(lines)


def _cell(report: EvalReport, name: str) -> str:
    variant = _find(report, name)
    if variant is None or variant.score.mean is None:
        return "–"
    s = variant.score
    return f"{s.mean:.0%} ({s.low:.0%}–{s.high:.0%})"


def _selection_cell(reports: dict[str, EvalReport], name: str) -> str:
    kind, strategy, k = name.split(" ")
    report = reports["selection"]
    if strategy != "random_k":
        return _cell(report, name)
    means = _seeds(report, kind, int(k.removeprefix("k=")))
    if not means:
        return "–"
    return f"{sum(means) / len(means):.0%} [{min(means):.0%}–{max(means):.0%}]"


def _find(report: EvalReport, name: str) -> VariantResult | None:
    return next((v for v in report.variants if v.name == name), None)


def _seeds(report: EvalReport, kind: str, k: int) -> list[float]:
    """The scores of a kind's random_k variants at k, one per seed."""
    return [
        v.score.mean
        for v in report.variants
        if v.template == kind and v.strategy == "random_k" and v.k == k and v.score.mean is not None
    ]


def _cost_rows() -> list[tuple[str, str]]:
    """(row label, what to average): a variant of kinds or selection, or an output mode."""
    return [
        ("prefix, constrained", "kinds:prefix"),
        ("few-shot k = 8 (first_k: one shared prefix)", "kinds:few_shot first_k k=8"),
        ("few-shot k = 8 (similar_k: examples per row)", "selection:few_shot similar_k k=8"),
        ("chat k = 8, constrained", "kinds:chat first_k k=8"),
        ("output table, free text (its 7 prompts)", "output:text, exact"),
        ("output table, constrained (its 7 prompts)", "output:choices"),
        ("output table, ranked (its 7 prompts)", "output:rank"),
    ]


def _cost_cell(reports: dict[str, EvalReport], what: str) -> str:
    """Generation seconds per row: a variant's, or an output mode's over its variants. The
    seconds are those of generating each answer, whether in this run or when first cached."""
    study, _, name = what.partition(":")
    report = reports[study]
    if study == "output":
        chosen = [v for v in report.variants if v.template.endswith(f"({name})")]
    else:
        chosen = [v for v in report.variants if v.name == name]
    items = sum(v.items for v in chosen)
    return f"{sum(v.seconds for v in chosen) / items:.2f}" if items else "–"


def _timing(reports: Reports, tasks: Sequence[str]) -> str:
    lines = ["| evaluation | " + " | ".join(tasks) + " |", "| --- |" + " ---: |" * len(tasks)]
    for study in ("kinds", "selection", "output"):
        cells = []
        for task in tasks:
            report = reports[task][study]
            cells.append(f"{report.wall_seconds:.0f} s, {report.generated:,} generated")
        lines.append(f"| {study} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


# --- charts ---------------------------------------------------------------------------------


def _panels(reports: Reports, title: str, rows: int = 1) -> tuple[Any, Any]:
    """One panel per task, side by side (``rows`` rows of them), titled with its task: the
    figure and its axes (a list, or a list of rows when ``rows`` > 1)."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(
        rows, len(reports), figsize=(4.6 * len(reports), 0.4 + 3.8 * rows), squeeze=False
    )
    figure.suptitle(title)
    for ax, task in zip(axes[0], reports, strict=True):
        ax.set_title(task_named(task).title, fontsize=9)
    return figure, [list(row) for row in axes] if rows > 1 else list(axes[0])


def _save(figure: Any, axes: list[Any], path: Path) -> None:
    """The legend of the first panel under all of them, then the file."""
    import matplotlib.pyplot as plt

    handles, labels = axes[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=8)
    figure.tight_layout(rect=(0, 0.07, 1, 1))
    figure.savefig(path, dpi=120)
    plt.close(figure)


def _k_axes(ax: Any, task: str, ks: Sequence[int]) -> None:
    ax.axhline(1 / len(task_named(task).labels), linestyle=":", color="#999999", label="chance")
    ax.set_xticks(ks)
    ax.set_xlabel("k (examples in the prompt)")
    ax.set_ylim(0, 1)
    ax.set_ylabel("score")
    ax.grid(alpha=0.3)


Point = tuple[int, float, float, float]  # k, mean, low, high


def _line(ax: Any, points: list[Point], label: str, color: str) -> None:
    """One curve, its low–high range as a band."""
    ks = [p[0] for p in points]
    ax.plot(ks, [p[1] for p in points], marker="o", label=label, color=color)
    ax.fill_between(ks, [p[2] for p in points], [p[3] for p in points], alpha=0.15, color=color)


def _point(variant: VariantResult | None, k: int) -> list[Point]:
    if variant is None or variant.score.mean is None:
        return []
    return [(k, variant.score.mean, variant.score.low, variant.score.high)]


def _kinds_chart(path: Path, reports: Reports) -> None:
    """Each kind against k, constrained to the labels (lines, bands: 95% intervals), and the
    same prompts read as free text with a label picked out (dotted, the output evaluation's
    k = 0 and 4): the chart for the README."""
    figure, axes = _panels(
        reports,
        "Prompt kinds against k: answers constrained to the labels (solid, bands: 95% "
        "intervals) or free text (dotted)",
    )
    for ax, (task, by_study) in zip(axes, reports.items(), strict=True):
        report = by_study["kinds"]
        for kind, color in (("few_shot", "C0"), ("hybrid", "C1"), ("chat", "C2")):
            points = [p for k in KS for p in _point(_find(report, f"{kind} first_k k={k}"), k)]
            _line(ax, points, kind, color)
            free = [
                p
                for k in FREE_TEXT_KS
                for p in _point(
                    _find(by_study["output"], f"{kind} (text, choice) first_k k={k}"), k
                )
            ]
            if free:
                ax.plot(
                    [p[0] for p in free],
                    [p[1] for p in free],
                    linestyle=":",
                    marker="x",
                    color=color,
                    label=f"{kind}, free text",
                )
        prefix = _find(report, "prefix")
        if prefix is not None and prefix.score.mean is not None:
            ax.axhline(prefix.score.mean, linestyle="--", color="C3", label="prefix (k = 0)")
        _k_axes(ax, task, KS)
    _save(figure, axes, path)


def _selection_chart(path: Path, reports: Reports) -> None:
    figure, grid = _panels(
        reports,
        "Which examples (random_k: mean of 3 seeds, band: their range)",
        rows=len(SELECTION_KINDS),
    )
    for axes, (kind, label) in zip(grid, SELECTION_KINDS, strict=True):
        for ax, (task, by_study) in zip(axes, reports.items(), strict=True):
            report = by_study["selection"]
            for strategy, color in zip(STRATEGIES, ("C1", "C4", "C5"), strict=True):
                points: list[Point] = []
                for k in KS[1:]:
                    if strategy == "random_k":
                        means = _seeds(report, kind, k)
                        if means:
                            points.append((k, sum(means) / len(means), min(means), max(means)))
                    else:
                        points += _point(_find(report, f"{kind} {strategy} k={k}"), k)
                _line(ax, points, strategy, color)
            _k_axes(ax, task, KS[1:])
            ax.set_ylabel(f"{label}: score")
    _save(figure, grid[0], path)


def _output_chart(path: Path, reports: Reports) -> None:
    figure, axes = _panels(reports, "Reading the answer (error bars: 95% intervals)")
    height = 0.8 / len(MODES)
    for ax, (task, by_study) in zip(axes, reports.items(), strict=True):
        for m, mode in enumerate(MODES):
            ys, means, low, high = [], [], [], []
            for p, (_, name) in enumerate(OUTPUT_PROMPTS):
                variant = _find(by_study["output"], _with_mode(name, mode))
                if variant is None or variant.score.mean is None:
                    continue
                ys.append(len(OUTPUT_PROMPTS) - 1 - p + (len(MODES) / 2 - m - 0.5) * height)
                means.append(variant.score.mean)
                low.append(max(0.0, variant.score.mean - variant.score.low))
                high.append(max(0.0, variant.score.high - variant.score.mean))
            ax.barh(ys, means, height=height, xerr=[low, high], label=MODE_NAMES[mode], capsize=2)
        ax.set_yticks(
            range(len(OUTPUT_PROMPTS)), [label for label, _ in reversed(OUTPUT_PROMPTS)], fontsize=8
        )
        ax.axvline(1 / len(task_named(task).labels), linestyle=":", color="#999999")
        ax.set_xlim(0, 1)
        ax.set_xlabel("score (dotted: chance)")
        ax.grid(axis="x", alpha=0.3)
    _save(figure, axes, path)


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    names = [t.name for t in TASKS if (folder / f"{t.name}_kinds.json").is_file()]
    write_summary(folder, names)
    print(f"wrote {folder / 'summary.md'}")
