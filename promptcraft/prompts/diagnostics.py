"""Turning whatever a template raised into one of promptcraft's errors, with file and line.

Jinja reports template lines through the ``__jinja_template__`` global of each frame of
compiled template code; merged templates encode the file in the line number
(:func:`~.compiler.decode_line`).
"""

from __future__ import annotations

from collections.abc import Mapping

from jinja2 import Template
from jinja2.exceptions import TemplateNotFound, TemplateSyntaxError as JinjaSyntaxError
from jinja2.sandbox import SecurityError

from ..errors import (
    MissingInputError,
    PromptcraftError,
    PromptError,
    TemplateNotFoundError,
    TemplateRenderError,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from .compiler import decode_line
from .environment import UndefinedInput

__all__ = ["as_prompt_error", "locate"]


def locate(
    exc: BaseException, origins: Mapping[str, tuple[str, ...]]
) -> tuple[str | None, int | None]:
    """The innermost template file and line in ``exc``'s traceback."""
    found: tuple[str | None, int | None] = (None, None)
    tb = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if isinstance(template, Template):
            line = template.get_corresponding_lineno(tb.tb_lineno)
            chains = getattr(template, "pc_origins", None) or origins
            found = decode_line(chains, template.filename or template.name, line)
        tb = tb.tb_next
    return found


def as_prompt_error(
    exc: BaseException, origins: Mapping[str, tuple[str, ...]], template: str
) -> PromptcraftError:
    """The promptcraft error to raise (``from exc``) for an exception out of compile or render.
    ``template`` names the template being rendered, for errors with no better location."""
    if isinstance(exc, JinjaSyntaxError):
        where, line = decode_line(origins, exc.filename or exc.name, exc.lineno)
        return TemplateSyntaxError(exc.message or str(exc), template=where or template, line=line)
    where, line = locate(exc, origins)
    where = where or template
    if isinstance(exc, PromptError):
        if exc.template is not None:
            return exc
        return _relocated(exc, where, line)
    if isinstance(exc, PromptcraftError):
        return exc
    if isinstance(exc, UndefinedInput):
        if exc.top_level and exc.name is not None:
            return MissingInputError(
                f"missing input {exc.name!r}",
                variable=exc.name,
                template=where,
                line=line,
            )
        return TemplateRenderError(exc.message or str(exc), template=where, line=line)
    if isinstance(exc, SecurityError):
        return TemplateSecurityError(str(exc), template=where, line=line)
    if isinstance(exc, TemplateNotFound):
        return TemplateNotFoundError(
            f"template {exc.name!r} not found on the search path", template=where, line=line
        )
    if isinstance(exc, (RecursionError, MemoryError)):
        return TemplateSecurityError(
            f"the template ran out of {'stack' if isinstance(exc, RecursionError) else 'memory'}"
            " (recursive macro or include?)",
            template=where,
            line=line,
        )
    return TemplateRenderError(f"{type(exc).__name__}: {exc}", template=where, line=line)


def _relocated(exc: PromptError, template: str, line: int | None) -> PromptError:
    if isinstance(exc, MissingInputError):
        return MissingInputError(exc.message, variable=exc.variable, template=template, line=line)
    new = type(exc).__new__(type(exc))
    new.__dict__.update(exc.__dict__)
    PromptError.__init__(new, exc.message, template=template, line=line)
    return new
