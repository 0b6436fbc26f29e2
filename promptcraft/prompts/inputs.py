"""Declared inputs of a prompt, and their validation before rendering.

In front matter::

    inputs:
      text: str                       # shorthand: just the type
      words: {type: int, default: 50, description: Length of the summary}
      tone: {type: str, enum: [neutral, friendly], default: neutral}

Types: ``str``, ``int``, ``float``, ``bool``, ``list``, ``list[str]``, ``list[int]``,
``list[float]``, ``list[dict]``, ``dict``, ``any``. An input is required unless it has a
default or says ``required: false`` (then it defaults to ``None``).

The declarations compile once per template into a pydantic model; a render validates its inputs
with it (about a microsecond) and fails with an error that names the field.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    create_model,
)
from pydantic_core import PydanticCustomError

from ..errors import InputValidationError, MissingInputError
from ..utils.suggestions import did_you_mean

__all__ = [
    "RESERVED_NAMES",
    "InputDeclarationError",
    "InputSpec",
    "InputValidator",
    "parse_inputs",
]

_TYPES: dict[str, Any] = {
    "str": str, "string": str,
    "int": int, "integer": int,
    "float": float, "number": float,
    "bool": bool, "boolean": bool,
    "list": list[Any], "list[str]": list[str], "list[int]": list[int],
    "list[float]": list[float], "list[dict]": list[dict[str, Any]],
    "dict": dict[str, Any], "object": dict[str, Any],
    "any": Any,
}  # fmt: skip

# Names the layouts and Jinja itself use; an input by one of these names would shadow them.
RESERVED_NAMES = frozenset({
    "layout", "examples", "inputs", "example", "loop", "self", "super", "caller", "varargs",
    "kwargs", "range", "dict", "lipsum", "cycler", "joiner", "namespace",
})  # fmt: skip
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class InputSpec(BaseModel):
    """One declared input."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    type: str = "str"
    description: str = ""
    default: Any = None
    enum: tuple[Any, ...] | None = None
    required: bool | None = None

    @property
    def has_default(self) -> bool:
        return "default" in self.model_fields_set

    @property
    def is_required(self) -> bool:
        if self.required is not None:
            return self.required
        return not self.has_default


class InputDeclarationError(ValueError):
    """A declaration whose ``key`` (``"default"``, ``"enum"``) contradicts its type."""

    def __init__(self, message: str, key: str) -> None:
        super().__init__(message)
        self.key = key


def _one_of(allowed: tuple[Any, ...]) -> Callable[[Any], Any]:
    def check(value: Any) -> Any:
        if value not in allowed:
            raise PydanticCustomError(
                "enum", "Input should be {expected}", {"expected": _listed(allowed)}
            )
        return value

    return check


def _listed(values: tuple[Any, ...]) -> str:
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else f"{', '.join(shown[:-1])} or {shown[-1]}"


def _annotation(spec: InputSpec) -> Any:
    """The type an input is validated against: its type, narrowed to its enum."""
    annotation = _TYPES[spec.type]
    if spec.enum:
        if annotation in (str, Any):
            annotation = Literal[spec.enum]
        else:  # coerce first ("2" -> 2 for an int), then compare
            annotation = Annotated[annotation, AfterValidator(_one_of(spec.enum))]
    if not spec.is_required and (not spec.has_default or spec.default is None):
        annotation = annotation | None
    return annotation


@functools.lru_cache(maxsize=256)
def _adapter(type_name: str) -> TypeAdapter[Any]:
    return TypeAdapter(_TYPES[type_name])


def _check_declaration(name: str, spec: InputSpec) -> None:
    """Enum values must be of the input's type, and the default a value the input accepts."""
    for value in spec.enum or ():
        try:
            _adapter(spec.type).validate_python(value, strict=True)
        except ValidationError:
            raise InputDeclarationError(
                f"input {name!r}: enum value {value!r} is not of type {spec.type}", "enum"
            ) from None
    if spec.has_default and spec.default is not None:
        try:
            TypeAdapter(_annotation(spec)).validate_python(spec.default)
        except ValidationError as exc:
            raise InputDeclarationError(
                f"input {name!r}: default {spec.default!r} is not accepted: "
                f"{exc.errors()[0]['msg']}",
                "default",
            ) from None


def parse_inputs(raw: Mapping[str, Any] | None) -> dict[str, InputSpec]:
    """Input declarations from front matter or Python (``"str"`` or a mapping per name).
    Raises ``ValueError`` naming the input for a bad name, type or declaration (an
    :class:`InputDeclarationError` naming the key for a default or enum of the wrong type)."""
    specs: dict[str, InputSpec] = {}
    for name, value in (raw or {}).items():
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"input name {name!r} is not a valid identifier")
        if name in RESERVED_NAMES:
            raise ValueError(f"input name {name!r} is reserved (used by layouts or Jinja)")
        if isinstance(value, InputSpec):
            spec = value
        elif isinstance(value, str):
            spec = InputSpec(type=value)
        elif isinstance(value, Mapping):
            spec = InputSpec.model_validate(dict(value))
        elif value is None:
            spec = InputSpec()
        else:
            raise ValueError(f"input {name!r}: expected a type name or a mapping, got {value!r}")
        if spec.type not in _TYPES:
            raise ValueError(
                f"input {name!r}: unknown type {spec.type!r}; expected one of {', '.join(_TYPES)}"
            )
        _check_declaration(name, spec)
        specs[name] = spec
    return specs


class InputValidator:
    """Validates render inputs against declarations with a pydantic model built once."""

    def __init__(self, specs: Mapping[str, InputSpec], template: str) -> None:
        self.template = template
        self.names = tuple(specs)
        fields: dict[str, Any] = {}
        for name, spec in specs.items():
            default = ... if spec.is_required else spec.default
            fields[name] = (_annotation(spec), Field(default, description=spec.description or None))
        self.model: type[BaseModel] = create_model(
            "Inputs", __config__=ConfigDict(extra="forbid"), **fields
        )
        self._validate = self.model.__pydantic_validator__.validate_python

    def __call__(self, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """Validated (and defaulted) inputs, or a MissingInputError / InputValidationError."""
        try:
            return self._validate(inputs).__dict__
        except ValidationError as exc:
            raise self._error(exc, inputs) from None

    def _error(self, exc: ValidationError, inputs: Mapping[str, Any]) -> Exception:
        first = exc.errors()[0]
        field = str(first["loc"][0]) if first["loc"] else "?"
        if first["type"] == "missing":
            return MissingInputError(
                f"missing input {field!r} (declared inputs: {', '.join(self.names)})",
                variable=field,
                template=self.template,
            )
        if first["type"] == "extra_forbidden":
            declared = ", ".join(self.names) or "none"
            hint = did_you_mean(field, self.names)
            hint = f"{hint} " if hint else ""
            return InputValidationError(
                f"unexpected input {field!r}; {hint}declared inputs: {declared}",
                field=field,
                template=self.template,
            )
        got = type(inputs.get(field)).__name__
        return InputValidationError(
            f"input {field!r}: {first['msg']} (got {got})", field=field, template=self.template
        )
