"""Evaluation datasets: rows of template inputs and the answer each one expects.

A dataset is a JSONL file (one JSON object per line; blank lines are skipped) or a list of
mappings. A row is either flat, its fields the template's inputs plus the expected answer::

    {"text": "I loved it", "expected": "positive"}

or nested, with the inputs apart::

    {"inputs": {"text": "I loved it"}, "expected": "positive"}

Every row remembers where it came from (file and line), so each error about it says where
to look.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from ..errors import DatasetError
from ..utils.jsonl import JsonLineError, read_json_lines

__all__ = ["DataRow", "load_dataset"]


class DataRow(BaseModel):
    """One row: the inputs to render with, the expected answer, and where it came from."""

    model_config = ConfigDict(frozen=True)

    index: int  # 0-based position in the dataset
    inputs: dict[str, Any]
    expected: Any = None
    has_expected: bool = False
    path: str | None = None  # the JSONL file; None for rows given in Python
    line: int  # 1-based line of the file, or 1-based position in the list

    @property
    def where(self) -> str:
        """``data.jsonl:12`` or ``row 12``: where to look for this row."""
        return f"{self.path}:{self.line}" if self.path else f"row {self.line}"

    def error(self, message: str) -> DatasetError:
        return DatasetError(message, path=self.path, line=self.line)


def load_dataset(
    data: str | Path | Iterable[Mapping[str, Any]],
    *,
    expected_key: str = "expected",
    limit: int | None = None,
) -> list[DataRow]:
    """The rows of a JSONL file (a path) or of a list of mappings. ``limit`` (1 or more) keeps
    the first rows only. An empty or malformed dataset raises
    :class:`~promptcraft.errors.DatasetError` naming the file and line."""
    if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
        raise DatasetError(f"limit keeps the first N rows: give N of 1 or more, not {limit!r}")
    if isinstance(data, (str, Path)):
        rows = list(_read_jsonl(Path(data)))
        shown: str | None = str(data)
    else:
        if isinstance(data, Mapping):
            raise DatasetError("data must be a list of rows (mappings), not one mapping")
        rows = [(i, row) for i, row in enumerate(data, start=1)]
        shown = None
    if not rows:
        raise DatasetError("the dataset has no rows", path=shown)
    if limit is not None:
        rows = rows[:limit]
    return [_row(index, line, raw, shown, expected_key) for index, (line, raw) in enumerate(rows)]


def _read_jsonl(path: Path) -> Iterable[tuple[int, Any]]:
    if path.is_dir():
        raise DatasetError("this is a folder; give a JSONL dataset file", path=str(path))
    if not path.is_file():
        raise DatasetError("no such dataset file", path=str(path))
    if path.suffix == ".json":
        raise DatasetError(
            "datasets are JSONL (one JSON object per line), not a .json document; "
            'convert with: python -c "import json,sys; [print(json.dumps(r)) for r in '
            'json.load(sys.stdin)]" < data.json > data.jsonl',
            path=str(path),
        )
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"not UTF-8 text: {exc}", path=str(path)) from None
    try:
        yield from read_json_lines(text)
    except JsonLineError as exc:
        raise DatasetError(
            f"invalid JSON at column {exc.column}: {exc.reason}", path=str(path), line=exc.line
        ) from None


def _row(index: int, line: int, raw: Any, path: str | None, expected_key: str) -> DataRow:
    if not isinstance(raw, Mapping):
        raise DatasetError(
            f"a row must be a JSON object of field to value, not {type(raw).__name__}",
            path=path,
            line=line,
        )
    nested = raw.get("inputs")
    if isinstance(nested, Mapping):
        inputs = dict(nested)
    else:
        inputs = {key: value for key, value in raw.items() if key != expected_key}
    for key in inputs:
        if not isinstance(key, str):
            raise DatasetError(f"field names must be strings, not {key!r}", path=path, line=line)
    return DataRow(
        index=index,
        inputs=inputs,
        expected=raw.get(expected_key),
        has_expected=expected_key in raw,
        path=path,
        line=line,
    )
