from __future__ import annotations

from pathlib import Path

import pytest

from promptcraft.errors import DatasetError
from promptcraft.evaluation import load_dataset


def _write(tmp_path: Path, text: str, name: str = "data.jsonl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_flat_row_splits_inputs_from_expected(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"text": "hi", "expected": "greeting"}\n')
    (row,) = load_dataset(path)
    assert row.inputs == {"text": "hi"}
    assert row.expected == "greeting"


def test_nested_row_takes_inputs_from_inputs_field(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"inputs": {"text": "hi"}, "expected": "greeting", "id": 7}\n')
    (row,) = load_dataset(path)
    assert row.inputs == {"text": "hi"}


def test_rows_remember_their_file_line_skipping_blank_lines(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1}\n\n{"a": 2}\n')
    rows = load_dataset(path)
    assert [row.where for row in rows] == [f"{path}:1", f"{path}:3"]


def test_malformed_json_names_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1}\n{"a": \n')
    with pytest.raises(DatasetError, match=r"data\.jsonl:2: invalid JSON") as info:
        load_dataset(path)
    assert info.value.line == 2


def test_row_that_is_not_an_object_names_its_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"a": 1}\n["a", "b"]\n')
    with pytest.raises(DatasetError, match=r":2: a row must be a JSON object"):
        load_dataset(path)


def test_empty_file_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n\n")
    with pytest.raises(DatasetError, match="no rows"):
        load_dataset(path)


def test_a_folder_given_as_dataset_says_it_is_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="this is a folder"):
        load_dataset(tmp_path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset file"):
        load_dataset(tmp_path / "nope.jsonl")


def test_json_document_is_refused_with_a_conversion_hint(tmp_path: Path) -> None:
    path = _write(tmp_path, '[{"a": 1}]', name="data.json")
    with pytest.raises(DatasetError, match="JSONL"):
        load_dataset(path)


def test_python_rows_are_located_by_position() -> None:
    rows = load_dataset([{"a": 1, "expected": 2}, {"a": 3}])
    assert rows[1].where == "row 2"
    assert rows[1].has_expected is False


def test_limit_keeps_the_first_rows() -> None:
    rows = load_dataset([{"a": i} for i in range(5)], limit=2)
    assert [row.inputs["a"] for row in rows] == [0, 1]
