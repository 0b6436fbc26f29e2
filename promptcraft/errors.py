"""The one exception hierarchy of promptcraft.

Every error the package raises on purpose derives from :class:`PromptcraftError`.
Each carries the location it is about (file, line, field, tensor or HTTP status),
so a message can say exactly what to fix.
"""

from __future__ import annotations

__all__ = [
    "BackendError",
    "ContextLengthError",
    "InputValidationError",
    "InvalidRequestError",
    "MissingInputError",
    "ModelLoadError",
    "PromptError",
    "PromptcraftError",
    "TemplateNotFoundError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "TokenBudgetError",
    "TokenizerError",
]


class PromptcraftError(Exception):
    """Base class of every error promptcraft raises on purpose."""


# --- prompts -------------------------------------------------------------------------------


class PromptError(PromptcraftError):
    """Base class of template and rendering errors.

    ``template`` names the template (file path or name) and ``line`` the 1-based line in it,
    when known.
    """

    def __init__(self, message: str, *, template: str | None = None, line: int | None = None):
        self.message = message
        self.template = template
        self.line = line
        super().__init__(self._format())

    def _format(self) -> str:
        where = self.template or ""
        if where and self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}" if where else self.message


class TemplateSyntaxError(PromptError):
    """The template (or its front matter) does not parse."""


class TemplateNotFoundError(PromptError):
    """No template of that name or path exists on the search path."""


class MissingInputError(PromptError):
    """A variable the template needs was not given. ``variable`` names it."""

    def __init__(
        self, message: str, *, variable: str, template: str | None = None, line: int | None = None
    ):
        self.variable = variable
        super().__init__(message, template=template, line=line)


class InputValidationError(PromptError):
    """An input has the wrong type or value. ``field`` names it."""

    def __init__(
        self, message: str, *, field: str, template: str | None = None, line: int | None = None
    ):
        self.field = field
        super().__init__(message, template=template, line=line)


class TemplateSecurityError(PromptError):
    """The template tried something the sandbox forbids, or exceeded a resource bound."""


class TokenBudgetError(PromptError):
    """The prompt does not fit the token budget even with zero examples."""


class TemplateRenderError(PromptError):
    """An expression, filter or input object failed while the template rendered
    (a division by zero, a missing attribute of an example, ...)."""


# --- tokenizers and models ------------------------------------------------------------------


class TokenizerError(PromptcraftError):
    """A tokenizer cannot be loaded or converted exactly."""


class ModelLoadError(PromptcraftError):
    """A checkpoint cannot be loaded. ``path`` names the file, ``tensor`` the tensor, if any."""

    def __init__(self, message: str, *, path: str | None = None, tensor: str | None = None):
        self.path = path
        self.tensor = tensor
        super().__init__(message)


# --- backends --------------------------------------------------------------------------------


class BackendError(PromptcraftError):
    """A backend failed to generate. ``status`` is the HTTP status for remote backends."""

    def __init__(self, message: str, *, status: int | None = None):
        self.status = status
        super().__init__(message)


class ContextLengthError(BackendError):
    """The prompt (plus requested tokens) is longer than the model's context."""

    def __init__(
        self,
        message: str,
        *,
        prompt_tokens: int | None = None,
        max_context: int | None = None,
        status: int | None = None,
    ):
        self.prompt_tokens = prompt_tokens
        self.max_context = max_context
        super().__init__(message, status=status)


class InvalidRequestError(BackendError, ValueError):
    """A generation request is malformed: an unknown or out-of-range parameter, or a bad
    message. ``field`` names it (``"temperature"``, ``"messages[2].role"``), when known."""

    def __init__(self, message: str, *, field: str | None = None, status: int | None = None):
        self.field = field
        super().__init__(message, status=status)
