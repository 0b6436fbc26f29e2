"""Resource bounds of one render, and the checks that enforce them.

A template may come from someone we do not trust, so a small template must not be able to
produce a huge value or run for hours. Four bounds, all in :class:`RenderLimits`:

* ``max_output_chars``: no string, list or dict the template builds, no captured block and no
  rendered prompt may exceed it (characters, 1 MB by default).
* ``max_iterations``: loop iterations plus calls made by the template, per render. Loops charge
  their whole length up front, so ``range(10**9)`` and nested loops fail fast.
* ``max_int_bits``: integers the template computes (``10**10**10`` would take minutes).
* ``max_work``: characters and items that filters, methods, operators, comparisons, slices
  and captured text read or build, per render. Each of those is bounded by the other limits,
  but a loop can repeat one on a large value: ``s|upper`` on a 900 kB string, 90,000 times.
  A container item counts as :data:`ITEM_WORK` characters.

Every check raises :class:`~promptcraft.errors.TemplateSecurityError`: *before* the expensive
work where its size can be told in advance (repeats, padding, ranges, loops), right after one
step otherwise (a filter's or a call's result), so no value gets far past a limit. The checks
read the active render's :class:`RenderState` from a context variable, so nested includes
share one budget and concurrent renders never share one."""

from __future__ import annotations

import types
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from itertools import islice
from typing import Any, NoReturn

from jinja2.runtime import Undefined
from jinja2.utils import Namespace
from pydantic import BaseModel, ConfigDict, Field

from ..errors import TemplateSecurityError

__all__ = ["RenderLimits", "RenderState", "current_limits", "current_state"]


class RenderLimits(BaseModel):
    """Resource bounds of one render. Pass your own to a template to loosen or tighten them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_output_chars: int = Field(default=1_000_000, gt=0)
    max_iterations: int = Field(default=100_000, gt=0)
    max_int_bits: int = Field(default=4096, gt=0)
    max_work: int = Field(default=20_000_000, gt=0)


DEFAULT_LIMITS = RenderLimits()

# What one container item costs in work, in characters: Python handles items one by one.
ITEM_WORK = 8


class RenderState:
    """What one render has spent so far, plus its chat-message bookkeeping."""

    __slots__ = ("limits", "messages", "nonce", "steps", "work")

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.steps = 0
        self.work = 0
        self.nonce: str | None = None  # set by the first {% message %} of the render
        self.messages: list[tuple[str, str | None, str | None]] = []

    def charge(self, n: int, what: str) -> None:
        self.steps += n
        if self.steps > self.limits.max_iterations:
            raise TemplateSecurityError(
                f"{what} exceeded the limit of {self.limits.max_iterations} loop iterations "
                "and calls per render (RenderLimits.max_iterations)"
            )

    def spend(self, n: int, what: str) -> None:
        self.work += n
        if self.work > self.limits.max_work:
            raise TemplateSecurityError(
                f"{what} exceeded the limit of {self.limits.max_work:,} characters of work per "
                "render: filters, methods, operators and comparisons on large values, repeated "
                "(RenderLimits.max_work)"
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


_CONTAINERS = (list, tuple, dict, set, frozenset, Namespace)


def _namespace_attrs(value: Namespace) -> dict[str, Any]:
    attrs: dict[str, Any] = object.__getattribute__(value, "_Namespace__attrs")
    return attrs


def estimate_size(value: Any, limit: int) -> int:
    """Roughly how many characters ``str(value)`` takes, counting no further than ``limit + 1``.

    Containers (and ``namespace()`` objects, whose repr shows their attributes) are walked
    iteratively, so a deeply shared structure (``[a, a]`` nested forty times) is measured in
    at most ``limit`` steps instead of being printed."""
    if isinstance(value, (str, bytes)):  # subclasses too: tojson returns Markup
        return len(value)
    if isinstance(value, int):
        return value.bit_length() // 3 + 1
    if not isinstance(value, _CONTAINERS):
        return 8  # numbers, None, user objects: their repr is the caller's business
    total = 0
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        total += 2
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, Namespace):
            item = _namespace_attrs(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif not isinstance(item, (str, bytes)):
            total += 8
        if total > limit:
            return total
    return total


def work_of(value: Any) -> int:
    """What handling ``value`` once costs, in characters of work: its length for text,
    :data:`ITEM_WORK` per item (shallow) for containers."""
    if isinstance(value, (str, bytes)):
        return len(value)
    if isinstance(value, (list, tuple, dict, set, frozenset)):
        return ITEM_WORK * len(value)
    if isinstance(value, Namespace):
        return ITEM_WORK * len(_namespace_attrs(value))
    return 1


def spend(n: int, what: str) -> None:
    """Charge ``n`` characters of work to the active render, if any."""
    state = _STATE.get()
    if state is not None:
        state.spend(n, what)


def check_size(size: int, what: str) -> None:
    limit = current_limits().max_output_chars
    if size > limit:
        raise TemplateSecurityError(
            f"{what} would be {size:,} characters, over the limit of {limit:,} "
            "(RenderLimits.max_output_chars)"
        )


def bounded_concat(pieces: Iterable[str]) -> str:
    """``"".join`` that refuses to build a string over the output limit. Jinja uses it for
    captured blocks, macro bodies and ``caller()``; the renderer uses it for the prompt.

    Pieces are counted as they come, a chunk at a time, so a loop that prints large values
    stops at the limit rather than holding all of them first."""
    state = _STATE.get()
    limit = (DEFAULT_LIMITS if state is None else state.limits).max_output_chars
    if isinstance(pieces, list):
        parts = pieces
        total = sum(map(len, parts))
    else:
        source = iter(pieces)
        parts = list(islice(source, _CHUNK))
        total = sum(map(len, parts))
        more = len(parts) == _CHUNK
        while more and total <= limit:
            chunk = list(islice(source, _CHUNK))
            total += sum(map(len, chunk))
            parts += chunk
            more = len(chunk) == _CHUNK
    if total > limit:
        check_size(total, "the rendered text")
    if state is not None:
        state.spend(total, "the rendered text")
    return "".join(parts)


_CHUNK = 64


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


class _RefusedFormat:
    """What ``str.format`` and ``format_map`` are in a template: calling or printing it
    raises, so a refusal never shows a function or its address."""

    def _refuse(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TemplateSecurityError(
            "str.format() is not available in templates; use '~' or the format filter"
        )

    __call__ = __str__ = __repr__ = __format__ = _refuse


REFUSED_FORMAT = _RefusedFormat()


def printable(value: Any, depth: int = 3) -> Any:
    """``value``, unless printing it would show the sandbox's internals: a function, method,
    class or module (their text holds names and memory addresses). Those, alone or inside a
    list, tuple or dict (``depth`` levels down: a template builds nothing deeper in one
    expression), raise :class:`TemplateSecurityError` instead."""
    if isinstance(value, (str, int, float, Undefined)):  # Undefined raises its own error
        return value
    if isinstance(value, (list, tuple, dict)):
        if depth > 0:
            for item in value.values() if isinstance(value, dict) else value:
                printable(item, depth - 1)
    elif isinstance(value, _RefusedFormat):
        value()
    elif callable(value) or isinstance(value, types.ModuleType):
        name = getattr(value, "__name__", type(value).__name__)
        raise TemplateSecurityError(
            f"a template cannot print {name!r} itself, only values: call it, as in "
            f"'{name}(...)', or leave it out"
        )
    return value


def guard_concat(parts: tuple[Any, ...]) -> str:
    """The ``~`` operator with a size check (``pc_concat``)."""
    for part in parts:
        printable(part)
    limit = current_limits().max_output_chars
    check_size(sum(estimate_size(p, limit) for p in parts), "a string built with '~'")
    text = "".join(map(str, parts))
    check_size(len(text), "a string built with '~'")
    spend(len(text), "a string built with '~'")
    return text


def guard_value(value: Any) -> Any:
    """A list, tuple or dict literal, or a value assigned to a namespace attribute, with a
    size check (``pc_value``)."""
    check_size(estimate_size(value, current_limits().max_output_chars), "a list or dict literal")
    return value


def guard_operand(value: Any) -> Any:
    """An operand of a comparison or slice: charge the work of reading it (``pc_operand``)."""
    state = _STATE.get()
    if state is not None:  # spend(), inlined: this runs in loops over examples
        state.work += ITEM_WORK * len(value) if type(value) is list else work_of(value)
        if state.work > state.limits.max_work:
            state.spend(0, "a comparison or slice")
    return value


def check_result(value: Any, what: str) -> Any:
    """A value a filter or call produced: refuse it over the size limit, charge its work."""
    if isinstance(value, (str, bytes)):
        check_size(len(value), what)
        spend(len(value), what)
    elif isinstance(value, _CONTAINERS):
        size = estimate_size(value, current_limits().max_output_chars)
        check_size(size, what)
        spend(size, what)
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
                spend(size, "a repeated string or list")
        if isinstance(left, int) and isinstance(right, int):
            _check_bits(abs(left).bit_length() + abs(right).bit_length(), limits)
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            _check_bits(max(abs(left).bit_length(), 1) * right, limits)
    elif operator == "+":
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            limit = limits.max_output_chars
            size = estimate_size(left, limit) + estimate_size(right, limit)
            check_size(size, "a sum")
            spend(size, "a sum")
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
    spend(work_of(owner), f"{type(owner).__name__}.{name}()")
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
        check_size(replace_size(owner, args[0], args[1]), "str.replace()")


def replace_size(text: Any, old: Any, new: Any) -> int:
    if not isinstance(text, (str, bytes)) or not isinstance(new, (str, bytes)):
        return 0
    hits = text.count(old) if old else len(text) + 1
    return len(text) + hits * max(len(new) - len(old), 0)
