"""Adapters as tuning writes them: the file format lives with the engine that serves it,
:mod:`promptcraft.nn.adapters` (what an adapter file is, how it is read and checked, how it
attaches to a decoder); tuning imports it from there.

``LocalBackend.load(adapter=...)`` (or ``LocalBackend.attach_adapter``) serves one.
"""

from __future__ import annotations

from ..nn.adapters import (
    ADAPTER_SUFFIX,
    Adapter,
    AdapterInfo,
    adapter_path,
    base_model_config,
    load_adapter,
    model_fingerprint,
    save_adapter,
)

__all__ = [
    "ADAPTER_SUFFIX",
    "Adapter",
    "AdapterInfo",
    "adapter_path",
    "architecture",
    "base_model_config",
    "load_adapter",
    "model_fingerprint",
    "save_adapter",
]

#: The configuration an adapter records besides the weights (the former name of
#: :func:`~promptcraft.nn.adapters.base_model_config`, which :mod:`.api` still uses).
architecture = base_model_config
