"""The sandboxed Jinja environment every prompt renders in.

Settings, and why:

* ``ImmutableSandboxedEnvironment``: templates may be untrusted. No attribute starting with
  ``_``, no internals of functions, frames or code, no method that mutates a list or dict.
  On top of Jinja's rules, methods of builtin values are limited to an allow-list
  (``str.format``, ``translate`` and ``int.to_bytes`` are out) and every call, loop, ``~``,
  ``*``, ``**``, ``+`` and literal is checked against :class:`~.guards.RenderLimits`.
* ``StrictUndefined``: a missing input is an error, never an empty string.
* no autoescape: prompts are not HTML.
* whitespace: ``trim_blocks`` (the newline after a ``{% tag %}`` is dropped) and
  ``lstrip_blocks`` (spaces before a ``{% tag %}`` at the start of a line are dropped), so
  control tags may sit on their own lines without leaving blank lines behind.
  ``keep_trailing_newline=False``: the newline that ends a template file is not part of the
  prompt. Literal whitespace at the edges of each ``{% block %}`` and ``{% message %}`` body is
  dropped too (see :mod:`.compiler`); whitespace inside input values is never touched.
* ``auto_reload=False`` and compile caches: a template compiles once; rendering never
  compiles (``compile_count`` counts compiles, for tests). Templates built from the same
  source share one compile (:mod:`.compile_cache`) while the files merged into it are
  unchanged. Templates loaded at render time (includes, imports, runtime parents) are
  compiled once and kept; building a prompt first drops the ones whose file has changed
  since, among those it may load, so a new prompt always sees the files on disk.
* a :class:`~.loader.SearchPathLoader` over the search path, the bundled ``templates/``
  always last on it.
* ``{% message %}`` tags for chat templates (:mod:`.messages`).
* On ``.`` lookups, a plain ``dict`` answers with its *key* first, so ``example.items`` is the
  example's ``items`` field, not the method, and field access costs no exception.
"""

from __future__ import annotations

import contextlib
import functools
import weakref
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, NoReturn, cast

from jinja2 import BaseLoader, StrictUndefined, Template, meta, nodes
from jinja2.exceptions import TemplateSyntaxError as JinjaSyntaxError, UndefinedError
from jinja2.runtime import Context, Undefined
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing

from ..utils.paths import bundled_templates_dir
from .bounded_builtins import (
    bounded_filters,
    bounded_lipsum,
    bounded_range,
    metered_filter,
    metered_in_test,
)
from .compile_cache import DEFAULT_COMPILE_CACHE_SIZE, CompileCache, CompiledPrompt, compile_key
from .compiler import build_ast, decode_line
from .filters import PROMPT_FILTERS
from .guards import (
    REFUSED_FORMAT,
    bounded_concat,
    check_builtin_call,
    check_result,
    current_state,
    guard_binop,
    guard_concat,
    guard_loop,
    guard_operand,
    guard_value,
    printable,
)
from .loader import SearchPathLoader, recording_loads
from .messages import MessageExtension

__all__ = ["PromptEnvironment", "UndefinedInput", "get_environment"]


class UndefinedInput(UndefinedError):
    """A name (``top_level``) or an attribute or key of a value is undefined."""

    def __init__(self, message: str, *, name: str | None, top_level: bool, obj: Any = None) -> None:
        super().__init__(message)
        self.name = name
        self.top_level = top_level
        self.obj = obj  # the value the attribute or key was looked up on


class PromptUndefined(StrictUndefined):
    """``StrictUndefined`` whose error says which name was missing."""

    __slots__ = ()

    def _fail_with_undefined_error(self, *args: Any, **kwargs: Any) -> NoReturn:
        if self._undefined_exception is not UndefinedError:  # an unsafe attribute, from the sandbox
            raise self._undefined_exception(self._undefined_message)
        name = self._undefined_name if isinstance(self._undefined_name, str) else None
        top_level = self._undefined_obj is missing
        raise UndefinedInput(
            self._undefined_message,
            name=name,
            top_level=top_level,
            obj=None if top_level else self._undefined_obj,
        )


# Undefined binds its dunders to the base class's function at class creation; rebind them.
for _attr, _value in [*vars(Undefined).items(), *vars(StrictUndefined).items()]:
    if _value is Undefined._fail_with_undefined_error:
        setattr(PromptUndefined, _attr, PromptUndefined._fail_with_undefined_error)


class PromptEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox plus promptcraft's bounds, filters, loader and compile passes."""

    intercepted_binops = frozenset({"*", "**", "+", "%"})
    concat = staticmethod(bounded_concat)  # captured blocks, macros and caller() are bounded

    def __init__(
        self,
        search_path: Iterable[str | Path],
        *,
        compile_cache_size: int = DEFAULT_COMPILE_CACHE_SIZE,
    ) -> None:
        super().__init__(
            loader=SearchPathLoader(list(search_path)),
            undefined=PromptUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            cache_size=1000,
            extensions=[MessageExtension],
            finalize=printable,  # {{ a_function }} raises instead of showing its address
        )
        self.compile_count = 0
        self.compile_cache = CompileCache(compile_cache_size)
        self.origins: dict[str, tuple[str, ...]] = {}
        # name of a template loaded at render time -> the names it loads in turn
        self._references: dict[str, frozenset[str] | None] = {}
        self.filters.update(bounded_filters(self.filters))
        self.filters.update(PROMPT_FILTERS)
        self.filters = {name: metered_filter(name, f) for name, f in self.filters.items()}
        self.tests["in"] = metered_in_test(cast(Callable[..., Any], self.tests["in"]))
        self.filters.update(
            pc_loop=guard_loop,
            pc_concat=guard_concat,
            pc_value=guard_value,
            pc_operand=guard_operand,
        )
        self.globals["range"] = bounded_range
        self.globals["lipsum"] = bounded_lipsum(cast(Callable[..., str], self.globals["lipsum"]))

    @property
    def search_path(self) -> tuple[Path, ...]:
        assert isinstance(self.loader, SearchPathLoader)
        return self.loader.roots

    # --- compiling ----------------------------------------------------------------------

    def compile(
        self,
        source: str | nodes.Template,
        name: str | None = None,
        filename: str | None = None,
        raw: bool = False,
        defer_init: bool = False,
    ) -> Any:
        """Jinja's compile hook (used for templates loaded by name), with our passes."""
        self.compile_count += 1
        if isinstance(source, str):
            source = build_ast(self, source, name, filename, inline=False, origins=self.origins)
        if name is not None:
            self._references[name] = _references(source)
        code = self._generate(source, name, filename, defer_init=defer_init)
        if raw:
            return code
        return self._compile(code, filename or "<template>")

    def compile_prompt(
        self,
        source: str,
        name: str,
        filename: str,
        constants: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> Template:
        """Compile a template a :class:`PromptTemplate` renders directly: blocks inlined,
        ``constants`` (its layout values) folded in. The same arguments give the same
        (cached) template while the files merged into it are unchanged."""
        key = compile_key(source, name, filename, constants)
        entry = self.compile_cache.get(key, self._is_current) if key is not None else None
        if entry is None:
            entry = self._compile_prompt(source, name, filename, constants)
            if key is not None:
                self.compile_cache.put(key, entry)
        self._drop_stale(entry.references)
        return entry.template

    def _compile_prompt(
        self,
        source: str,
        name: str,
        filename: str,
        constants: Mapping[str, Mapping[str, Any]] | None,
    ) -> CompiledPrompt:
        self.compile_count += 1
        # Two templates may share a display name, so their origins travel with the Template.
        origins: dict[str, tuple[str, ...]] = {}
        try:
            with recording_loads() as loads:
                tree = build_ast(
                    self, source, name, filename, inline=True, origins=origins, constants=constants
                )
            code = self._compile(self._generate(tree, name, filename), filename)
        except JinjaSyntaxError as exc:
            exc.filename, exc.lineno = decode_line(origins, exc.filename or exc.name, exc.lineno)  # type: ignore[assignment]
            raise
        template = self.template_class.from_code(self, code, self.make_globals(None), None)
        template.pc_origins = origins  # type: ignore[attr-defined]
        return CompiledPrompt(template, tuple(loads), _references(tree))

    def _is_current(self, entry: CompiledPrompt) -> bool:
        assert isinstance(self.loader, SearchPathLoader)
        return all(self.loader.is_current(stamp) for stamp in entry.stamps)

    def _drop_stale(self, names: frozenset[str] | None) -> None:
        """Forget the render-time templates among ``names`` (``None``: all), and those they
        load, whose file changed since they were loaded: their next use loads them afresh."""
        if self.cache is None or not self._references:
            return  # nothing has been loaded at render time
        assert self.loader is not None
        own = weakref.ref(self.loader)
        if names is not None and self._sweep(own, names):
            return
        # A changed template's new text may load others, and a computed name may be any.
        self._sweep(own, [name for ref, name in self.cache if ref == own])

    def _sweep(self, own: weakref.ref[BaseLoader], names: Iterable[str]) -> bool:
        """Drop the stale templates among ``names`` and those they load. True when none was
        stale and every name they load is known."""
        assert self.cache is not None
        todo, seen, complete = [*names], set(), True
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            template = self.cache.get((own, name))
            if template is None:
                continue
            if not template.is_up_to_date:
                with contextlib.suppress(KeyError):  # another thread dropped it first
                    del self.cache[(own, name)]
                complete = False
            loads = self._references.get(name, frozenset())
            if loads is None:
                complete = False
            else:
                todo.extend(loads)
        return complete

    # --- sandbox policy -----------------------------------------------------------------

    def getattr(self, obj: Any, attribute: str) -> Any:
        if attribute.startswith("_"):  # refused even where it does not exist: no probing
            # past the first refusal keep the first error, which names the culprit
            if isinstance(obj, Undefined) and obj._undefined_exception is SecurityError:
                return obj
            return self.unsafe_undefined(obj, attribute)
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        if super().wrap_str_format(value) is not None:
            return REFUSED_FORMAT
        return None

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        state = current_state()
        if state is not None:
            state.charge(1, "calls")
        check_builtin_call(obj, args, kwargs)
        if not self.is_safe_callable(obj):
            raise SecurityError(f"{obj!r} is not safely callable")
        return check_result(context.call(obj, *args, **kwargs), _call_name(obj))

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        return guard_binop(operator, left, right, self.binop_table[operator])


def _call_name(obj: Any) -> str:
    return f"the result of {getattr(obj, '__name__', type(obj).__name__)}()"


def _references(tree: nodes.Template) -> frozenset[str] | None:
    """The templates ``tree`` loads when it renders, or ``None`` if a name is computed."""
    names = set(meta.find_referenced_templates(tree))
    if None in names:
        return None
    return frozenset(n for n in names if n is not None)


@functools.lru_cache(maxsize=64)
def _environment(roots: tuple[Path, ...]) -> PromptEnvironment:
    return PromptEnvironment(roots)


def get_environment(search_path: Iterable[str | Path] = ()) -> PromptEnvironment:
    """The shared environment of a search path (the bundled templates are added last)."""
    roots: list[Path] = []
    for entry in search_path:
        root = Path(entry).resolve()
        if root not in roots:
            roots.append(root)
    bundled = bundled_templates_dir().resolve()
    if bundled not in roots:
        roots.append(bundled)
    return _environment(tuple(roots))
