"""Writing GGUF files in tests with gguf's own writer (llama.cpp's), for the tokenizer and the
model-loading tests alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import gguf

__all__ = ["add_key", "write_file"]


def add_key(writer: gguf.GGUFWriter, key: str, value: Any) -> None:
    """One metadata key, typed by its Python type as llama.cpp's converter types it:
    bool, int (uint32, or uint64 when larger), float (float32), str, or a list."""
    if isinstance(value, bool):
        writer.add_bool(key, value)
    elif isinstance(value, int):
        writer.add_uint32(key, value) if value < 2**32 else writer.add_uint64(key, value)
    elif isinstance(value, float):
        writer.add_float32(key, value)
    elif isinstance(value, str):
        writer.add_string(key, value)
    elif isinstance(value, list):
        writer.add_array(key, value)
    else:
        raise TypeError(f"{key}: {value!r}")


def write_file(
    path: Path,
    arch: str,
    metadata: Mapping[str, Any],
    add_tensors: Callable[[gguf.GGUFWriter], None] | None = None,
) -> Path:
    """A GGUF file of architecture ``arch`` holding ``metadata`` and whatever tensors
    ``add_tensors`` adds to the writer (none by default)."""
    writer = gguf.GGUFWriter(str(path), arch)
    for key, value in metadata.items():
        add_key(writer, key, value)
    if add_tensors is not None:
        add_tensors(writer)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
