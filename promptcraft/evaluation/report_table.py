"""The summary table of an :class:`~.report.EvalReport`, drawn with rich."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .report import EvalReport, VariantResult

__all__ = ["build_table", "markdown_table", "print_table", "table_text"]


def build_table(report: EvalReport) -> Any:
    """A ``rich.table.Table``: one line per variant, the best score in bold."""
    from rich.table import Table

    table = Table(
        title=f"{report.metric} on {report.data} ({report.rows} rows"
        + (f" × {report.repeat} repeats" if report.repeat > 1 else "")
        + ")",
        caption=(
            f"95% intervals ({_methods(report)}). {report.generated} generated, "
            f"{report.cache_hits} from cache, {report.wall_seconds:.1f} s in all."
        ),
    )
    table.add_column("variant", min_width=20, overflow="fold")
    for header in ("score", "95% CI", "n", "err", "tok in", "tok out", "sec"):
        table.add_column(header, justify="right", no_wrap=True)
    best = _best_name(report)
    for variant in report.variants:
        score = _score(variant.score.mean, "{:.1%}")
        if variant.name == best and len(report.variants) > 1:
            score = f"[bold]{score}[/bold]"
        table.add_row(
            variant.name,
            score,
            _interval(variant, "{:.0f}–{:.0f}%", percent=True),
            str(variant.score.n),
            str(variant.errors) if variant.errors else "",
            f"{variant.prompt_tokens:,}",
            f"{variant.completion_tokens:,}",
            f"{variant.seconds:.1f}",
        )
    return table


def print_table(report: EvalReport, console: Any = None) -> None:
    if console is None:
        from rich.console import Console

        console = Console()
    console.print(build_table(report))


def table_text(report: EvalReport, width: int = 120) -> str:
    from rich.console import Console

    buffer = io.StringIO()
    Console(file=buffer, width=width, color_system=None, legacy_windows=False).print(
        build_table(report)
    )
    return buffer.getvalue()


def markdown_table(report: EvalReport) -> str:
    """The summary as a Markdown table (for READMEs and benchmark notes)."""
    lines = [
        "| variant | score | 95% CI | n | errors | prompt tokens | completion tokens | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for v in report.variants:
        lines.append(
            f"| {v.name} | {_score(v.score.mean, '{:.1%}')} | "
            f"{_interval(v, '{:.1%} – {:.1%}')} | "
            f"{v.score.n} | {v.errors} | {v.prompt_tokens:,} | {v.completion_tokens:,} | "
            f"{v.seconds:.2f} |"
        )
    return "\n".join(lines) + "\n"


def _best_name(report: EvalReport) -> str | None:
    scored = [v for v in report.variants if v.score.mean is not None]
    return report.best().name if scored else None


def _score(mean: float | None, form: str) -> str:
    """The mean, or a dash when no item was scored."""
    return "–" if mean is None else form.format(mean)


def _interval(variant: VariantResult, form: str, *, percent: bool = False) -> str:
    score = variant.score
    if score.mean is None:
        return "–"
    scale = 100 if percent else 1
    return form.format(score.low * scale, score.high * scale)


def _methods(report: EvalReport) -> str:
    methods = sorted({v.score.method for v in report.variants if v.score.mean is not None})
    names = {"wilson": "Wilson", "bootstrap": "bootstrap over items"}
    return ", ".join(names.get(m, m) for m in methods) or "none"
