"""Resource bounds of one render, and the checks that enforce them.

A template may come from someone we do not trust, so a small template must not be able to
produce a huge value or run for hours. Three bounds, all in :class:`RenderLimits`:

* ``max_output_chars``: no string, list or dict the template builds, no captured block and no
  rendered prompt may exceed it (characters, 1 MB by default).
* ``max_iterations``: loop iterations plus calls made by the template, per render. Loops charge
  their whole length up front, so ``range(10**9)`` and nested loops fail fast.
* ``max_int_bits``: integers the template computes (``10**10**10`` would take minutes).

Every check raises :class:`~promptcraft.errors.TemplateSecurityError` *before* the expensive
work. The checks read the active render's :class:`RenderState` from a context variable, so
nested includes share one budget and concurrent renders never share one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any

from jinja2 import pass_environment, pass_eval_context
from jinja2.nodes import EvalContext
from pydantic import BaseModel, ConfigDict, Field

from ..errors import TemplateSecurityError

__all__ = ["RenderLimits", "RenderState", "current_limits", "current_state"]


class RenderLimits(BaseModel):
    """Resource bounds of one render. Pass your own to a template to loosen or tighten them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_output_chars: int = Field(default=1_000_000, gt=0)
    max_iterations: int = Field(default=100_000, gt=0)
    max_int_bits: int = Field(default=4096, gt=0)


DEFAULT_LIMITS = RenderLimits()


class RenderState:
    """What one render has spent so far, plus its chat-message bookkeeping."""

    __slots__ = ("limits", "messages", "nonce", "steps")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.nonce: str | None = None  # set by the first {% message %} of the render
        self.messages: list[tuple[str, str | None, str | None]] = []

    def charge(self, n: int, what: str) -> None:
        self.steps += n
        if self.steps > self.limits.max_iterations:
            raise TemplateSecurityError(
                f"{what} exceeded the limit of {self.limits.max_iterations} loop iterations "
                "and calls per render (RenderLimits.max_iterations)"
            )


_STATE: ContextVar[RenderState | None] = ContextVar("promptcraft_render_state", default=None)


def current_state() -> RenderState | None:
    return _STATE.get()


def activate(state: RenderState) -> Any:
    """Make ``state`` the active render's state; returns the token for :func:`deactivate`."""
    return _STATE.set(state)


def deactivate(token: Any) -> None:
    _STATE.reset(token)


def current_limits() -> RenderLimits:
    """The active render's limits (the defaults outside a render, e.g. while compiling)."""
    state = _STATE.get()
    return DEFAULT_LIMITS if state is None else state.limits


# --- sizes ---------------------------------------------------------------------------------


def estimate_size(value: Any, limit: int) -> int:
    """Roughly how many characters ``str(value)`` takes, counting no further than ``limit + 1``.

    Containers are walked iteratively, so a deeply shared structure (``[a, a]`` nested forty
    times) is measured in at most ``limit`` steps instead of being printed."""
    if isinstance(value, (str, bytes)):  # subclasses too: tojson returns Markup
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if not isinstance(value, (list, tuple, dict, set, frozenset)):
        return 8  # numbers, None, user objects: their repr is the caller's business
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        total += 2
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        else:
            total += 8
        if total > limit:
            return total
    return total


def check_size(size: int, what: str) -> None:
    limit = current_limits().max_output_chars
    if size > limit:
        raise TemplateSecurityError(
            f"{what} would be {size:,} characters, over the limit of {limit:,} "
            "(RenderLimits.max_output_chars)"
        )


def bounded_concat(pieces: Iterable[str]) -> str:
    """``"".join`` that refuses to build a string over the output limit. Jinja uses it for
    captured blocks, macro bodies and ``caller()``; the renderer uses it for the prompt."""
    parts = pieces if isinstance(pieces, list) else list(pieces)
    check_size(sum(map(len, parts)), "the rendered text")
    return "".join(parts)


# --- the filters the compiler inserts -------------------------------------------------------


def guard_loop(iterable: Any) -> Any:
    """Charge a loop's iterations to the render's budget before it starts (``pc_loop``)."""
    state = _STATE.get()
    if state is None:
        return iterable
    try:
        size = len(iterable)
    except TypeError:  # a generator: count as it goes
        return _counted(iterable, state)
    state.charge(size, "a loop")
    return iterable


def _counted(iterable: Iterable[Any], state: RenderState) -> Iterator[Any]:
    for item in iterable:
        state.charge(1, "a loop")
        yield item


def guard_concat(parts: tuple[Any, ...]) -> str:
    """The ``~`` operator with a size check (``pc_concat``)."""
    text = "".join(map(str, parts))
    check_size(len(text), "a string built with '~'")
    return text


def guard_value(value: Any) -> Any:
    """A list, tuple or dict literal with a size check (``pc_value``)."""
    check_size(estimate_size(value, current_limits().max_output_chars), "a list or dict literal")
    return value


# --- operators -------------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple)


def guard_binop(operator: str, left: Any, right: Any, default: Callable[[Any, Any], Any]) -> Any:
    """Check the operators that can blow up (``*``, ``**``, ``+``, ``%``) before running them."""
    limits = current_limits()
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, _SEQUENCES) and isinstance(times, int):
                size = estimate_size(seq, limits.max_output_chars) * max(times, 0)
                check_size(size, "a repeated string or list")
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length(), limits)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            _check_bits(max(abs(left).bit_length(), 1) * right, limits)
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            limit = limits.max_output_chars
            check_size(estimate_size(left, limit) + estimate_size(right, limit), "a sum")
    elif operator == "%" and isinstance(left, (str, bytes)):
        raise TemplateSecurityError(
            "printf-style '%' formatting is not available in templates; "
            "use '~' or the format filter"
        )
    return default(left, right)


def _check_bits(bits: int, limits: RenderLimits) -> None:
    if bits > limits.max_int_bits:
        raise TemplateSecurityError(
            f"an integer of about {bits:,} bits is over the limit of {limits.max_int_bits:,} "
            "(RenderLimits.max_int_bits)"
        )


# --- methods of builtin types ---------------------------------------------------------------

# Templates may call these methods of builtin values. Anything else (str.format, translate,
# int.to_bytes, ...) is refused: several of them turn a few characters into gigabytes.
_STR_METHODS = frozenset({
    "capitalize", "casefold", "count", "encode", "decode", "endswith", "find", "index",
    "isalnum", "isalpha", "isascii", "isdecimal", "isdigit", "isidentifier", "islower",
    "isnumeric", "isprintable", "isspace", "istitle", "isupper", "lower", "lstrip",
    "partition", "removeprefix", "removesuffix", "rfind", "rindex", "rpartition", "rsplit",
    "rstrip", "split", "splitlines", "startswith", "strip", "swapcase", "title", "upper",
    # these can grow a string: their sizes are checked below
    "center", "ljust", "rjust", "zfill", "expandtabs", "join", "replace",
})  # fmt: skip
_ALLOWED_METHODS: dict[type, frozenset[str]] = {
    str: _STR_METHODS,
    bytes: _STR_METHODS,
    bool: frozenset(),
    int: frozenset({"bit_length", "bit_count", "conjugate", "as_integer_ratio"}),
    float: frozenset({"is_integer", "conjugate", "as_integer_ratio", "hex"}),
    list: frozenset({"count", "index", "copy"}),
    tuple: frozenset({"count", "index"}),
    dict: frozenset({"get", "items", "keys", "values", "copy"}),
    set: frozenset({"isdisjoint", "issubset", "issuperset", "union", "intersection",
                    "difference", "symmetric_difference", "copy"}),
    frozenset: frozenset({"isdisjoint", "issubset", "issuperset", "union", "intersection",
                          "difference", "symmetric_difference", "copy"}),
}  # fmt: skip


def check_builtin_call(func: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Refuse methods of builtin values outside the allow-list; size-check the padding ones."""
    owner: Any = getattr(func, "__self__", None)
    # isinstance, not type(): subclasses (Markup from tojson, OrderedDict, ...) inherit the
    # same dangerous methods. bool is listed before int, so it matches first.
    allowed = next((m for t, m in _ALLOWED_METHODS.items() if isinstance(owner, t)), None)
    if allowed is None or isinstance(owner, type) or not callable(func):
        return
    name = getattr(func, "__name__", "")
    if name not in allowed:
        kind = next(t for t in _ALLOWED_METHODS if isinstance(owner, t)).__name__
        raise TemplateSecurityError(f"{kind}.{name}() is not available in templates")
    limit = current_limits().max_output_chars
    if name in ("center", "ljust", "rjust", "zfill") and args and isinstance(args[0], int):
        check_size(args[0], f"str.{name}()")
    elif name == "expandtabs":
        size = args[0] if args and isinstance(args[0], int) else kwargs.get("tabsize", 8)
        tabs = owner.count("\t" if isinstance(owner, str) else b"\t")
        check_size(len(owner) + tabs * size, "str.expandtabs()")
    elif name == "join" and args:
        items = args[0]
        if isinstance(items, (list, tuple, str)):
            check_size(estimate_size(items, limit) + len(owner) * len(items), "str.join()")
    elif name == "replace" and len(args) >= 2:
        check_size(_replace_size(owner, args[0], args[1]), "str.replace()")


def _replace_size(text: Any, old: Any, new: Any) -> int:
    if not isinstance(text, (str, bytes)) or not isinstance(new, (str, bytes)):
        return 0
    hits = text.count(old) if old else len(text) + 1
    return len(text) + hits * max(len(new) - len(old), 0)


# --- builtin filters and globals, bounded ---------------------------------------------------

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
        check_size(_replace_size(str(s), str(old), str(new)), "the replace filter")
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


def bounded_lipsum(builtin: Callable[..., str]) -> Callable[..., str]:
    def lipsum(n: int = 5, html: bool = True, min: int = 20, max: int = 100) -> str:
        if n > 100 or max > 1000:
            raise TemplateSecurityError("lipsum() allows at most 100 paragraphs of 1000 words")
        return builtin(n, html, min, max)

    return lipsum
