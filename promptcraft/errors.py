"""The one exception hierarchy of promptcraft.

Every error the package raises on purpose derives from :class:`PromptcraftError`.
Each carries the location it is about (file, line, field, tensor or HTTP status),
so a message can say exactly what to fix.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .types import Usage

__all__ = [
    "AdapterError",
    "AgentError",
    "AuthenticationError",
    "BackendError",
    "BackendUnavailableError",
    "BadRequestError",
    "ConstraintError",
    "ContextLengthError",
    "ContextWindowExceededError",
    "DatasetError",
    "DeviceError",
    "EngineClosedError",
    "EngineContextLengthError",
    "EngineError",
    "EngineRequestError",
    "EvaluationError",
    "InputValidationError",
    "InvalidRequestError",
    "MissingInputError",
    "ModelLoadError",
    "PromptError",
    "PromptcraftError",
    "RateLimitError",
    "StructuredOutputError",
    "TemplateNotFoundError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "TokenBudgetError",
    "TokenizerError",
    "ToolError",
    "TuningConfigError",
    "TuningDataError",
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
    """A backend failed to generate. ``status`` is the HTTP status for remote backends (None
    when no answer came); ``server_message`` and ``code`` (such as "invalid_api_key") are the
    server's own words, when it sent them."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        server_message: str | None = None,
        code: str | None = None,
    ):
        self.status = status
        self.server_message = server_message
        self.code = code
        super().__init__(message)


class ContextLengthError(BackendError):
    """The prompt (plus requested tokens) is longer than the model's context."""

    #: How a Python caller drops the prompt's oldest tokens instead; messages end with it
    #: where it would help, and the CLI names its own flag in its place.
    TRUNCATE_HINT = "load the backend with truncate='left'"

    def __init__(
        self,
        message: str,
        *,
        prompt_tokens: int | None = None,
        max_context: int | None = None,
        **details: Any,
    ):
        self.prompt_tokens = prompt_tokens
        self.max_context = max_context
        super().__init__(message, **details)


class InvalidRequestError(BackendError, ValueError):
    """A generation request is malformed: an unknown or out-of-range parameter, or a bad
    message. ``field`` names it (``"temperature"``, ``"messages[2].role"``), when known."""

    def __init__(self, message: str, *, field: str | None = None, **details: Any):
        self.field = field
        super().__init__(message, **details)


# --- remote backends (OpenAI-compatible servers) --------------------------------------------


class AuthenticationError(BackendError):
    """The server refused the credentials (HTTP 401) or the permission (HTTP 403)."""


class RateLimitError(BackendError):
    """The server kept answering HTTP 429 (too many requests or tokens) after the retries.
    ``retry_after`` is the wait, in seconds, the server asked for last, when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **details: Any):
        self.retry_after = retry_after
        super().__init__(message, **details)


class BadRequestError(InvalidRequestError):
    """The server rejected the request itself (HTTP 400, 404 or 422): an unknown model, a
    parameter it does not support, a malformed message. ``field`` is the parameter the server
    named, when it did."""


class ContextWindowExceededError(ContextLengthError, BadRequestError):
    """A server said the prompt plus ``max_tokens`` exceed the model's context. It is both a
    :class:`ContextLengthError` (as the local backend raises) and a :class:`BadRequestError`.
    ``prompt_tokens`` and ``max_context`` are read from the server's message when it says."""


class BackendUnavailableError(BackendError):
    """The server could not be reached, dropped the connection, timed out, or kept failing
    (HTTP 5xx) after the retries."""


# --- the local engine (promptcraft.nn) ------------------------------------------------------


class EngineError(PromptcraftError):
    """Base class of the errors the local engine (:mod:`promptcraft.nn`: the decoder, its
    generator and batch engine) raises on purpose. Loading a checkpoint raises
    :class:`ModelLoadError` instead.

    Two kinds of refusal mean the same to a caller of the engine as to a caller of a backend,
    so they are both: :class:`EngineContextLengthError` is a :class:`ContextLengthError`,
    :class:`EngineRequestError` an :class:`InvalidRequestError`. The local backend passes
    those on as they are (its context policy is the engine's,
    :mod:`promptcraft.nn.context`) and translates the others."""


class EngineContextLengthError(EngineError, ContextLengthError):
    """The prompt plus the tokens asked for do not fit the context (the engine's one context
    policy, :class:`promptcraft.nn.context.ContextWindow`, raises it for the generator and
    the local backend alike)."""


class EngineRequestError(EngineError, InvalidRequestError):
    """The engine cannot run a request as given: an empty prompt with no BOS token to start
    from, a token id outside the vocabulary, a constraint that needs more tokens than
    ``max_tokens``. ``field`` names the parameter."""


class EngineClosedError(EngineError):
    """The batch engine was closed (the server is shutting down) before a sequence finished.
    The local backend's batch engine delivers it as a :class:`BackendError`."""


class DeviceError(EngineError, ValueError):
    """The device asked for (``device="cuda"``) is unknown, or not available in this torch
    build or machine, or cannot run the precision asked for. ``device`` names it."""

    def __init__(self, message: str, *, device: str):
        self.device = device
        super().__init__(message)


def _located(message: str, path: str | None, line: int | None, *, item: str) -> str:
    """``path:line: message`` for data read from a file; ``<item> N: message`` for data given
    as a Python list (``line`` is then the 1-based position)."""
    if path is not None:
        where = f"{path}:{line}" if line is not None else path
    else:
        where = f"{item} {line}" if line is not None else ""
    return f"{where}: {message}" if where else message


# --- evaluation ------------------------------------------------------------------------------


class EvaluationError(PromptcraftError):
    """An evaluation cannot run as asked: an unknown metric, a selection spec that does not
    parse, a metric function that cannot be imported."""


class DatasetError(EvaluationError):
    """An evaluation dataset is empty or malformed, or a row lacks an input a template needs.
    ``path`` and ``line`` locate the row: the 1-based line of a JSONL file, or, for rows given
    as a Python list (``path`` None), the row's 1-based position."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message, self.path, self.line = message, path, line
        super().__init__(_located(message, path, line, item="row"))


# --- agents ----------------------------------------------------------------------------------


class ToolError(PromptcraftError):
    """Raised by a tool to tell the model what went wrong (``"no entry for 'pens'"``): the
    message becomes the call's observation, as ``error: <message>``, and the model may retry.
    ``tool`` names the tool, when known."""

    def __init__(self, message: str, *, tool: str | None = None):
        self.message = message
        self.tool = tool
        super().__init__(message)


class AgentError(PromptcraftError):
    """An agent run ended without an answer: ``max_steps`` ran out, a retry budget (a
    tool's, or the output's) was spent, the run outgrew the model's context, or a model call
    failed (the backend's error is ``__cause__``). ``reason`` says which (``"max_steps"``,
    ``"tool_retries"``, ``"output_retries"``, ``"context_length"``, ``"backend_error"``);
    ``steps`` is the full trace of the run up to there
    (:class:`~promptcraft.agents.AgentStep` records) and ``usage`` the tokens it spent."""

    def __init__(self, message: str, *, reason: str, steps: Sequence[Any] = (), usage: Any = None):
        self.reason = reason
        self.steps = list(steps)
        self.usage = usage
        super().__init__(message)


# --- tuning ----------------------------------------------------------------------------------


class TuningConfigError(PromptcraftError, ValueError):
    """A tuning option does not fit the model being tuned (such as more top layers than it
    has). ``field`` names the option."""

    def __init__(self, message: str, *, field: str):
        self.field = field
        super().__init__(f"{field}: {message}")


class TuningDataError(PromptcraftError):
    """Tuning data is empty or malformed, or an example does not fit the model's context.
    ``path`` and ``line`` locate the example: the 1-based line of a JSONL file, or, for
    examples given as a Python list (``path`` None), the example's 1-based position."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.message, self.path, self.line = message, path, line
        super().__init__(_located(message, path, line, item="example"))


class AdapterError(ModelLoadError):
    """An adapter file cannot be used: it is not a promptcraft adapter, or it was trained on
    another base model. ``path`` names the adapter file."""


# --- structured output ------------------------------------------------------------------------


class ConstraintError(PromptcraftError, ValueError):
    """A constraint on the output cannot be built: an empty list of choices, a regular
    expression that does not compile, or an invalid (or unsupported) JSON schema. ``kind`` is
    ``"choices"``, ``"regex"`` or ``"json_schema"``; ``path`` points inside a schema
    (``"properties.age.type"``), when known."""

    def __init__(self, message: str, *, kind: str, path: str | None = None):
        self.kind = kind
        self.path = path
        super().__init__(message)


class StructuredOutputError(PromptcraftError):
    """The model's output still did not parse or validate after the retries. ``outputs`` are
    the raw outputs, one per attempt; ``errors`` the validation message of each; ``usage`` the
    tokens of all attempts together."""

    def __init__(
        self,
        message: str,
        *,
        outputs: list[str],
        errors: list[str],
        usage: Usage | None = None,
    ):
        self.outputs = outputs
        self.errors = errors
        self.usage = usage
        super().__init__(message)
