"""Open a GGUF file (llama.cpp's model format) with llama.cpp's own reader, the ``gguf``
package, and check it before anything trusts it.

A GGUF file is a header (key/value metadata, then one entry per tensor: name, shape, type
and offset) followed by the tensor data. :func:`open_gguf` maps the file into memory, reads
the header and checks every tensor entry against the file: a truncated, corrupt or hostile
file fails here with a :class:`~promptcraft.errors.ModelLoadError` naming the file and the
key or tensor at fault, never later as a NumPy error. No tensor data is read.

Needs numpy (through ``gguf``), never torch: the tokenizer loads from here too.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ModelLoadError

__all__ = ["GGUFFile", "open_gguf"]

_MAGIC = b"GGUF"


@dataclass
class GGUFFile:
    """A checked GGUF file: its metadata as plain Python values, and its tensors.

    ``tensors`` maps each tensor's name to gguf's ``ReaderTensor`` (type, shape in ggml's
    order, fastest dimension first, and a memory-mapped view of its bytes).
    """

    path: Path
    metadata: dict[str, Any]
    tensors: dict[str, Any] = field(repr=False)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        """The value of ``key``, checked to be of ``kind`` (``default`` when absent)."""
        if key not in self.metadata:
            return default
        value = self.metadata[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int in Python; GGUF keeps them apart, and so do we.
        wrong = isinstance(value, bool) != (bool in kinds) or not isinstance(value, kinds)
        if wrong:
            names = " or ".join(k.__name__ for k in kinds)
            shown = repr(value)
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            raise self.error(f"metadata key {key!r} is {shown}, expected {names}")
        return value

    def require(self, key: str, kind: type | tuple[type, ...]) -> Any:
        """Like :meth:`get`, for a key the file must have."""
        value = self.get(key, kind)
        if value is None:
            raise self.error(f"metadata key {key!r} is missing")
        return value

    def error(self, message: str, *, tensor: str | None = None) -> ModelLoadError:
        """A load error about this file (and ``tensor``), for callers to raise."""
        where = f"tensor {tensor!r}: " if tensor is not None else ""
        return ModelLoadError(f"{self.path}: {where}{message}", path=str(self.path), tensor=tensor)


def open_gguf(path: str | os.PathLike[str]) -> GGUFFile:
    """Read and check the header of the GGUF file at ``path``.

    Raises :class:`~promptcraft.errors.ModelLoadError` for a missing, truncated or corrupt
    file, an unknown tensor type, or a tensor whose data lies outside the file.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            magic = handle.read(4)
    except OSError as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}", path=str(path)) from None
    if magic != _MAGIC:
        raise ModelLoadError(
            f"{path} is not a GGUF file (it starts with {magic!r}, not b'GGUF')", path=str(path)
        )
    reader_class = _checked_reader_class()
    try:
        reader = reader_class(path, "r")
    except ModelLoadError:
        raise
    except (ValueError, KeyError, IndexError, OverflowError, TypeError, UnicodeDecodeError) as exc:
        raise ModelLoadError(
            f"{path}: the GGUF header is truncated or corrupt ({type(exc).__name__}: {exc})",
            path=str(path),
        ) from None
    except (OSError, MemoryError) as exc:
        raise ModelLoadError(f"cannot read {path}: {exc}", path=str(path)) from None
    metadata: dict[str, Any] = {}
    for key, reader_field in reader.fields.items():
        if key.startswith("GGUF."):
            continue
        try:
            metadata[key] = _plain(reader_field.contents())
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            raise ModelLoadError(
                f"{path}: metadata key {key!r} cannot be read ({exc})", path=str(path)
            ) from None
    return GGUFFile(path=path, metadata=metadata, tensors={t.name: t for t in reader.tensors})


def _plain(value: Any) -> Any:
    """NumPy scalars (gguf returns them for numbers) as Python values."""
    if isinstance(value, list):
        return [_plain(item) for item in value]
    item = getattr(value, "item", None)
    return item() if callable(item) else value


_reader_class: Callable[..., Any] | None = None


def _checked_reader_class() -> Callable[..., Any]:
    """gguf's reader, with every tensor entry checked before gguf maps its data.

    gguf computes each tensor's byte range from its header entry and slices the file with
    it; a truncated file or a hostile shape then surfaces as a NumPy reshape error, or not
    at all. The check names the tensor instead.
    """
    global _reader_class
    if _reader_class is not None:
        return _reader_class
    import numpy as np
    from gguf import GGML_QUANT_SIZES, GGMLQuantizationType, GGUFReader

    class CheckedReader(GGUFReader):
        _flat: Any = None

        def _get(self, offset: int, dtype: Any, count: int = 1, override_order: Any = None) -> Any:
            # gguf slices its np.memmap once per value; a memmap slice costs ~10x a plain
            # array's (NumPy's memmap bookkeeping), and a vocabulary of 50k strings is 150k
            # slices. The same bytes through a plain array view: 3x faster header reads.
            if self._flat is None or len(self._flat) != len(self.data):
                self._flat = self.data.view(np.ndarray)
            count = int(count)
            size = np.dtype(dtype).itemsize * count
            if offset + size > len(self._flat):  # a cut file, or a length no file holds
                path = Path(str(self.data.filename))
                raise ModelLoadError(
                    f"{path}: the GGUF header is truncated or corrupt: it runs past the end "
                    f"of the file ({len(self._flat)} bytes) at byte {offset}",
                    path=str(path),
                )
            values = self._flat[offset : offset + size].view(dtype)[:count]
            order = self.byte_order if override_order is None else override_order
            return values if order == "I" else values.view(values.dtype.newbyteorder(order))

        def _build_tensors(self, start_offs: int, fields: list[Any]) -> None:
            size = len(self.data)
            path = Path(str(self.data.filename))
            for entry in fields:
                _, name_data, _, dims, raw_type, offset = entry.parts
                name = bytes(name_data).decode("utf-8", errors="replace")
                try:
                    kind = GGMLQuantizationType(int(raw_type[0]))
                except ValueError:
                    raise ModelLoadError(
                        f"{path}: tensor {name!r} has tensor type {int(raw_type[0])}, "
                        "which this version of the gguf package does not know",
                        path=str(path),
                        tensor=name,
                    ) from None
                elements = 1
                for dim in dims.tolist():
                    elements *= int(dim)
                block, block_bytes = GGML_QUANT_SIZES[kind]
                shape = [int(d) for d in dims.tolist()]
                if shape and shape[0] % block:
                    raise ModelLoadError(
                        f"{path}: tensor {name!r} of type {kind.name} has shape {shape}, whose "
                        f"first dimension is not a multiple of its block of {block} values",
                        path=str(path),
                        tensor=name,
                    )
                start = int(start_offs) + int(offset[0])
                end = start + elements // block * block_bytes
                if end > size:
                    raise ModelLoadError(
                        f"{path}: tensor {name!r} ({kind.name}, shape {shape}) needs bytes "
                        f"{start}..{end}, but the file has {size} bytes: the file is "
                        "truncated (an interrupted download?) or corrupt",
                        path=str(path),
                        tensor=name,
                    )
            super()._build_tensors(start_offs, fields)

    _reader_class = CheckedReader
    return CheckedReader
