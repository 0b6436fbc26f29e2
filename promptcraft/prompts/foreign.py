"""Templates written for another tool, rendered in our sandbox with our bounds.

A model file carries its own chat template (Hugging Face's Jinja conventions), and a model
file is untrusted input: llama-cpp-python's CVE-2024-34359 rendered one without a sandbox,
and a downloaded GGUF ran code. :func:`compile_foreign` compiles such a template in the
same sandbox as a ``.prompt`` file, with the same compile-time guards and the same
:class:`~.guards.RenderLimits` (output size, loop iterations, integer size, work), but in
the other tool's dialect:

* undefined names are lenient (``{% if tools %}`` with no tools is false), as in
  ``transformers``' ``apply_chat_template``;
* ``loopcontrols`` (``{% break %}``) are on, and whitespace follows ``trim_blocks`` and
  ``lstrip_blocks`` without trimming ``{% block %}`` bodies;
* there is no search path: ``{% include %}`` and ``{% extends %}`` read nothing.

An attempt to reach outside the sandbox, or past a bound, raises
:class:`~promptcraft.errors.TemplateSecurityError` naming the template's origin.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, NoReturn

from jinja2 import Template, Undefined
from jinja2.exceptions import SecurityError, TemplateSyntaxError as JinjaSyntaxError
from jinja2.ext import loopcontrols
from jinja2.runtime import Context

from ..errors import TemplateSyntaxError
from .bounded_builtins import metered_filter
from .compiler import guard_ast
from .diagnostics import as_prompt_error
from .environment import PromptEnvironment
from .guards import DEFAULT_LIMITS, RenderLimits, RenderState, activate, bounded_concat, deactivate

__all__ = ["ForeignTemplate", "compile_foreign"]


class ForeignTemplate:
    """A compiled foreign template; :meth:`render` runs it within ``limits``."""

    def __init__(self, template: Template, origin: str):
        self._template = template
        self.origin = origin

    def render(
        self,
        context: Mapping[str, Any],
        *,
        limits: RenderLimits = DEFAULT_LIMITS,
        passthrough: tuple[type[BaseException], ...] = (),
    ) -> str:
        """The rendered text. What the template raises becomes a
        :class:`~promptcraft.errors.PromptError` naming the origin and line (a sandbox
        refusal a :class:`~promptcraft.errors.TemplateSecurityError`), except the exception
        types in ``passthrough``, which the caller handles."""
        token = activate(RenderState(limits))
        try:
            runtime = Context(_ENV, {**_ENV.globals, **context}, self.origin, {})
            return bounded_concat(self._template.root_render_func(runtime))
        except passthrough:
            raise
        except Exception as exc:
            raise as_prompt_error(exc, {}, self.origin) from None
        finally:
            deactivate(token)


def compile_foreign(source: str, *, origin: str) -> ForeignTemplate:
    """Compile ``source``, naming it ``origin`` in errors."""
    try:
        tree = guard_ast(_ENV, source, origin)
        code = _ENV._compile(_ENV._generate(tree, origin, origin), origin)
    except JinjaSyntaxError as exc:
        raise TemplateSyntaxError(
            exc.message or str(exc), template=origin, line=exc.lineno
        ) from None
    template = _ENV.template_class.from_code(_ENV, code, _ENV.make_globals(None), None)
    return ForeignTemplate(template, origin)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    # Jinja's own tojson escapes HTML characters and non-ASCII text; chat templates want
    # the plain JSON a model was trained on (as transformers renders them).
    return json.dumps(
        value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
    )


class _ForeignEnvironment(PromptEnvironment):
    def __init__(self) -> None:
        super().__init__(())
        self.undefined = Undefined  # lenient, as transformers renders chat templates
        self.add_extension(loopcontrols)
        self.filters["tojson"] = metered_filter("tojson", _tojson)

    def unsafe_undefined(self, obj: Any, attribute: str) -> NoReturn:
        # Jinja answers an unsafe attribute with an Undefined, which a lenient template
        # prints as nothing: an escape attempt would pass unnoticed. Refuse it instead.
        raise SecurityError(
            f"access to attribute {attribute!r} of {type(obj).__name__!r} object is unsafe"
        )


_ENV = _ForeignEnvironment()
