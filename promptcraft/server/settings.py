"""How a server behaves: who may call it and how much it takes on at once."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["DEFAULT_MAX_BATCH", "DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_QUEUE", "ServerSettings"]

# Measured in benchmarks/serve.py (SmolLM2 int4, 2 threads): see README.
DEFAULT_MAX_BATCH = 16
DEFAULT_MAX_QUEUE = 64
DEFAULT_MAX_BODY_BYTES = 1024 * 1024


class ServerSettings(BaseModel):
    """The options of ``promptcraft serve`` that shape the app (host and port do not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model_id: str = Field(description="The name clients pass as `model`; /v1/models lists it.")
    aliases: tuple[str, ...] = Field(
        default=(),
        description="Other names of the same served model (an adapter's own name); listed too.",
    )
    # A SecretStr never shows its value in a repr or a log line.
    api_key: SecretStr | None = Field(
        default=None, description="When set, /v1/* and /metrics need `Authorization: Bearer KEY`."
    )
    max_batch: int = Field(
        default=DEFAULT_MAX_BATCH,
        ge=1,
        description="Requests that generate together, sharing each decoding step.",
    )
    prefill_chunk: int | None = Field(
        default=None,
        ge=1,
        description="Prompt tokens prefilled per turn of the batch (None: the engine's default).",
    )
    max_queue: int = Field(
        default=DEFAULT_MAX_QUEUE,
        ge=0,
        description="Requests that may wait for a place in the batch; more get 429.",
    )
    max_body_bytes: int = Field(
        default=DEFAULT_MAX_BODY_BYTES, ge=1, description="Larger request bodies get 413."
    )
    retry_after_s: int = Field(default=1, ge=1, description="The Retry-After of a 429.")
