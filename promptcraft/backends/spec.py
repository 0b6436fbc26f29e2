"""``load_backend(spec)``: one string names any backend.

=========================  ===============================================================
``None`` or ``"local"``     the default local model, SmolLM2-135M-Instruct
``"smollm2"``, ``"pc-tiny"``  a local model by name (:mod:`promptcraft.nn.catalog`)
``"local:PATH"``            a Hugging Face layout checkpoint directory, or a ``.gguf`` file
``"openai:MODEL"``          api.openai.com (key from ``OPENAI_API_KEY`` or ``api_key=``)
``"http(s)://HOST/v1"``     any OpenAI-compatible server (``model=``, ``api_key=``)
=========================  ===============================================================

The two server forms load an :class:`~promptcraft.backends.openai.OpenAIBackend` (httpx
only, no torch).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from ..errors import BackendError
from ..nn.catalog import model_names
from .base import Backend

__all__ = ["OPENAI_BASE_URL", "BackendSpec", "load_backend", "parse_backend_spec"]

OPENAI_BASE_URL = "https://api.openai.com/v1"

_LOCAL_OPTIONS = ("dtype", "max_context", "truncate", "adapter", "threads", "compile", "device")
_NAMES = ", ".join(repr(name) for name in model_names())
_SERVER_OPTIONS = (
    "model",
    "api_key",
    "timeout",
    "max_retries",
    "initial_retry_delay",
    "max_retry_delay",
    "headers",
    "http_client",
    "async_http_client",
)
_FORMS = (
    f"None or 'local' (the default local model), a local model's name ({_NAMES}), "
    "'local:PATH' (a checkpoint directory or .gguf file), 'openai:MODEL' (api.openai.com) "
    "or 'http(s)://HOST/v1' (an OpenAI-compatible server)"
)


class BackendSpec(BaseModel):
    """A parsed backend spec: which kind of backend, and where its model is."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["local", "openai"]
    path: Path | None = None  # local: the checkpoint directory or .gguf file
    name: str | None = None  # local: a catalog model's name (None with no path: the default)
    base_url: str | None = None  # openai: the server's API root
    model: str | None = None  # openai: the model name, when the spec carries it


def parse_backend_spec(spec: str | None) -> BackendSpec:
    """Parse a spec string (see the module docs); a malformed one raises
    :class:`~promptcraft.errors.BackendError` listing the accepted forms."""
    if spec is None:
        return BackendSpec(kind="local")
    if not isinstance(spec, str):
        raise BackendError(f"a backend spec is a string, not {type(spec).__name__}; use {_FORMS}")
    text = spec.strip()
    scheme, colon, rest = text.partition(":")
    if text == "local":
        return BackendSpec(kind="local")
    if text in model_names():
        return BackendSpec(kind="local", name=text)
    if scheme == "local" and colon:
        if not rest.strip():
            raise BackendError(f"backend spec {spec!r} has no path after 'local:'; use {_FORMS}")
        return BackendSpec(kind="local", path=Path(os.path.expanduser(rest.strip())))
    if scheme == "openai" and colon:
        if not rest.strip():
            raise BackendError(
                f"backend spec {spec!r} names no model after 'openai:' (such as "
                f"'openai:gpt-4o-mini'); use {_FORMS}"
            )
        return BackendSpec(kind="openai", base_url=OPENAI_BASE_URL, model=rest.strip())
    if scheme.lower() in ("http", "https"):
        return BackendSpec(kind="openai", base_url=_server_url(spec, text))
    hint = ""
    if Path(os.path.expanduser(text)).is_dir() or text.endswith(".gguf"):
        hint = f" (to load the local model {text!r}, write 'local:{text}')"
    elif text.lower() in model_names():
        hint = f" (local model names are lower case: {text.lower()!r})"
    raise BackendError(f"unknown backend spec {spec!r}{hint}; use {_FORMS}")


def load_backend(spec: str | None = None, **options: Any) -> Backend:
    """A backend for ``spec`` (see :func:`parse_backend_spec`).

    ``options`` go to the backend: for the local one ``dtype``, ``max_context``,
    ``truncate``, ``threads``, ``compile``, ``adapter`` (a file from
    :func:`promptcraft.tune`) and ``device`` (``"cpu"``, the default, or ``"cuda"``; see
    :class:`~promptcraft.backends.local.LocalBackend`); for a
    server ``model`` (needed with a URL), ``api_key``, ``timeout``, ``max_retries`` and the
    others of
    :class:`~promptcraft.backends.openai.OpenAIBackend`.
    """
    parsed = parse_backend_spec(spec)
    if parsed.kind == "local":
        unknown = sorted(set(options) - set(_LOCAL_OPTIONS))
        if unknown:
            raise TypeError(
                f"unknown option {unknown[0]!r} for the local backend; "
                f"accepted: {', '.join(_LOCAL_OPTIONS)}"
            )
        from .local import LocalBackend  # imports torch: only when a local model is wanted

        return LocalBackend.load(parsed.path or parsed.name, **options)
    return _load_server_backend(spec, parsed, options)


def _load_server_backend(spec: str | None, parsed: BackendSpec, options: dict[str, Any]) -> Backend:
    unknown = sorted(set(options) - set(_SERVER_OPTIONS))
    if unknown:
        raise TypeError(
            f"unknown option {unknown[0]!r} for an OpenAI-compatible backend; "
            f"accepted: {', '.join(_SERVER_OPTIONS)}"
        )
    model = options.pop("model", None)
    if parsed.model is not None:
        if model is not None and model != parsed.model:
            raise BackendError(
                f"backend spec {spec!r} names model {parsed.model!r} but model={model!r} was "
                "passed too; give the model once"
            )
        model = parsed.model
    if not model:
        raise BackendError(
            f"backend spec {spec!r} names a server but no model: pass model=..., such as "
            f"load_backend({spec!r}, model='llama3') (list the server's models with "
            "OpenAIBackend(..).list_models() or GET /v1/models)"
        )
    from .openai import OpenAIBackend  # httpx only: no torch

    assert parsed.base_url is not None
    return OpenAIBackend(model, base_url=parsed.base_url, **options)


def _server_url(spec: str, text: str) -> str:
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise BackendError(f"backend spec {spec!r} is not a valid URL: {exc}") from None
    if not parts.hostname:
        raise BackendError(
            f"backend spec {spec!r} has no host; write it like 'http://localhost:8000/v1'"
        )
    if parts.query or parts.fragment:
        raise BackendError(
            f"backend spec {spec!r}: the server URL must not have a query or fragment"
        )
    return text.rstrip("/")
