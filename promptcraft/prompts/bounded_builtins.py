"""Jinja's own filters, tests and globals, bounded by the render's :class:`~.guards.RenderLimits`.

* :func:`bounded_filters` wraps the filters whose output can be far larger than their input
  (``center``, ``format``, ``wordwrap``, ...) with a size check before they run;
* :func:`metered_filter` wraps every filter: it charges the work of reading its input and
  checks and charges its result, so no filter can grow a value past the limit by being
  applied to its own output in a loop (``forceescape``, ``urlencode``, ``pprint``, ...) or
  spend minutes repeating work on a large value;
* :func:`bounded_range` and :func:`bounded_lipsum` replace the globals of the same names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from jinja2 import pass_environment, pass_eval_context
from jinja2.nodes import EvalContext
from jinja2.utils import _PassArg

from ..errors import TemplateSecurityError
from .guards import (
    check_result,
    check_size,
    current_limits,
    estimate_size,
    printable,
    replace_size,
    spend,
    work_of,
)

__all__ = [
    "bounded_filters",
    "bounded_lipsum",
    "bounded_range",
    "metered_filter",
    "metered_in_test",
]

# Filters that cost nothing like their input's size, and filters that cost more per character
# (Python-level loops over the text).
_CONSTANT_TIME_FILTERS = frozenset({"length", "count", "first", "last", "default", "d", "safe"})
_FILTER_WEIGHT = {"urlize": 20, "wordwrap": 50}


def metered_filter(name: str, func: Callable[..., Any]) -> Callable[..., Any]:
    """``func`` charging its input's work before it runs, and checking and charging its result
    (the bound of filters that can grow a value or take long, such as ``forceescape``,
    ``urlencode``, ``pprint``, ``string`` of a list or ``sort``)."""
    skip = 0 if _PassArg.from_obj(func) is None else 1  # the context/environment argument
    weight = _FILTER_WEIGHT.get(name, 1)
    what = f"the {name} filter"
    cheap = name in _CONSTANT_TIME_FILTERS

    @functools.wraps(func)
    def metered(*args: Any, **kwargs: Any) -> Any:
        if len(args) > skip:
            printable(args[skip])  # most filters print their input: never a function's address
            if not cheap:
                spend(weight * work_of(args[skip]), what)
        return check_result(func(*args, **kwargs), what)

    return metered


def metered_in_test(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``in`` test, charging the work of searching its container."""

    @functools.wraps(func)
    def test_in(value: Any, seq: Any) -> Any:
        spend(work_of(seq), "the in test")
        return func(value, seq)

    return test_in


_FORMAT_SPEC = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def bounded_filters(builtin: dict[str, Callable[..., Any]]) -> dict[str, Callable[..., Any]]:
    """Wrappers around the Jinja filters whose output can be far larger than their input."""
    join, replace, tojson = builtin["join"], builtin["replace"], builtin["tojson"]
    center, fmt, wordwrap = builtin["center"], builtin["format"], builtin["wordwrap"]
    batch, slice_, attr = builtin["batch"], builtin["slice"], builtin["attr"]

    @pass_environment
    def do_attr(env: Any, obj: Any, name: Any) -> Any:
        # Jinja's attr filter reads attributes itself; refuse private names here too, even
        # where they do not exist, so a chain of them stays a security error.
        if str(name).startswith("_"):
            return env.getattr(obj, str(name))
        return attr(env, obj, name)

    @pass_eval_context
    def do_join(ctx: EvalContext, value: Any, d: str = "", attribute: Any = None) -> Any:
        items = list(value)
        limit = current_limits().max_output_chars
        size = len(str(d)) * len(items)
        if attribute is None:
            size += sum(estimate_size(item, limit) for item in items)
        check_size(size, "the join filter")
        return join(ctx, items, d, attribute)

    @pass_eval_context
    def do_replace(ctx: EvalContext, s: Any, old: Any, new: Any, count: Any = None) -> Any:
        check_size(replace_size(str(s), str(old), str(new)), "the replace filter")
        return replace(ctx, s, old, new, count)

    def do_center(value: Any, width: int = 80) -> Any:
        check_size(width if isinstance(width, int) else 0, "the center filter")
        return center(value, width)

    def do_format(value: Any, *args: Any, **kwargs: Any) -> Any:
        for match in _FORMAT_SPEC.finditer(str(value)):
            for number in match.groups():
                if number == "*" or (number is not None and int(number) > 1000):
                    raise TemplateSecurityError(
                        "the format filter allows field widths and precisions up to 1000"
                    )
        return fmt(value, *args, **kwargs)

    @pass_environment
    def do_wordwrap(env: Any, s: Any, width: int = 79, break_long_words: bool = True,
                    wrapstring: Any = None, break_on_hyphens: bool = True) -> Any:  # fmt: skip
        text = str(s)
        breaks = len(text) // max(int(width), 1) + 1
        check_size(len(text) + breaks * len(str(wrapstring or "\n")), "the wordwrap filter")
        return wordwrap(env, s, width, break_long_words, wrapstring, break_on_hyphens)

    @pass_eval_context
    def do_tojson(ctx: EvalContext, value: Any, indent: Any = None) -> Any:
        if indent is not None and (not isinstance(indent, int) or indent > 16):
            raise TemplateSecurityError("the tojson filter allows an indent of at most 16")
        return tojson(ctx, value, indent)

    def do_batch(value: Any, linecount: int, fill_with: Any = None) -> Any:
        _check_count(linecount, "the batch filter")
        return batch(value, linecount, fill_with)

    def do_slice(value: Any, slices: int, fill_with: Any = None) -> Any:
        _check_count(slices, "the slice filter")
        return slice_(value, slices, fill_with)

    return {
        "join": do_join, "replace": do_replace, "center": do_center, "format": do_format,
        "wordwrap": do_wordwrap, "tojson": do_tojson, "batch": do_batch, "slice": do_slice,
        "attr": do_attr,
    }  # fmt: skip


def _check_count(n: Any, what: str) -> None:
    limit = current_limits().max_iterations
    if isinstance(n, int) and n > limit:
        raise TemplateSecurityError(f"{what} asked for {n:,} groups; the limit is {limit:,}")


def bounded_range(*args: int) -> range:
    """``range`` that refuses more items than a render may loop over."""
    rng = range(*args)
    limit = current_limits().max_iterations
    try:
        shown = f"{len(rng):,}"
        too_big = len(rng) > limit
    except OverflowError:  # more items than fit in a machine word
        shown, too_big = f"more than {limit:,}", True
    if too_big:
        raise TemplateSecurityError(
            f"range() of {shown} items exceeds the limit of {limit:,} loop iterations "
            "(RenderLimits.max_iterations)"
        )
    return rng


bounded_range.__name__ = "range"  # the name a template knows it by, in error messages


def bounded_lipsum(builtin: Callable[..., str]) -> Callable[..., str]:
    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if n > 100 or max > 1000:
            raise TemplateSecurityError("lipsum() allows at most 100 paragraphs of 1000 words")
        return builtin(n, html, min, max)

    return lipsum
