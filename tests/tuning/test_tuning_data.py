"""Reading, rendering and checking tuning data."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from promptcraft.errors import PromptError, TuningDataError
from promptcraft.nn import Decoder, Generator
from promptcraft.prompts import load_prompt
from promptcraft.prompts.kinds import ChatPrompt
from promptcraft.tokenizers.tokenizer import Tokenizer
from promptcraft.tuning.data import (
    read_examples,
    render_example,
    resolve_template,
    split_examples,
)
from promptcraft.tuning.encode import encode_examples


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "data.jsonl"
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_examples_keep_their_line_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"input": "a", "output": "b"}\n\n{"input": "c", "output": "d"}\n')
    examples = read_examples(path)
    assert [(e.input, e.output, e.line) for e in examples] == [("a", "b", 1), ("c", "d", 3)]


def test_empty_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "\n\n")
    with pytest.raises(TuningDataError, match="no examples") as info:
        read_examples(path)
    assert info.value.path == str(path)


def test_malformed_line_is_refused_naming_file_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"input": "a", "output": "b"}\n{"input": "a", "output": \n')
    with pytest.raises(TuningDataError, match="not valid JSON") as info:
        read_examples(path)
    assert (info.value.path, info.value.line) == (str(path), 2)
    assert str(info.value).startswith(f"{path}:2: ")


def test_example_without_output_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"input": "a"}\n')
    with pytest.raises(TuningDataError, match="missing 'output'"):
        read_examples(path)


def test_non_string_output_is_refused() -> None:
    with pytest.raises(TuningDataError, match="'output' must be a string") as info:
        read_examples([{"input": "a", "output": "b"}, {"input": "a", "output": 3}])
    assert info.value.line == 2


def test_empty_list_is_refused() -> None:
    with pytest.raises(TuningDataError, match="empty"):
        read_examples([])


def test_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(TuningDataError, match="no such file"):
        read_examples(tmp_path / "nope.jsonl")


def test_string_input_fills_the_templates_one_required_input(repo_root: Path) -> None:
    template = load_prompt(repo_root / "templates" / "sentiment.prompt")
    (example,) = read_examples([{"input": "Great value.", "output": "positive"}])
    assert render_example(template, example).endswith("Text: Great value.\nSentiment:")


def test_object_input_gives_inputs_by_name(repo_root: Path) -> None:
    template = load_prompt(repo_root / "templates" / "sentiment.prompt")
    row = {"input": {"text": "Meh.", "labels": ["good", "bad"]}, "output": "bad"}
    (example,) = read_examples([row])
    assert "one of: good, bad" in render_example(template, example)


def test_chat_templates_are_refused() -> None:
    with pytest.raises(PromptError, match="chat template"):
        resolve_template(ChatPrompt(messages=[("user", "{{ input }}")]))


def test_split_is_seeded_and_always_validates_on_something() -> None:
    examples = read_examples([{"input": str(i), "output": "x"} for i in range(5)])
    train, val = split_examples(examples, 0.1, seed=3)
    assert (len(train), len(val)) == (4, 1)
    assert split_examples(examples, 0.1, seed=3) == (train, val)


def test_too_long_example_is_refused_naming_its_line(
    tmp_path: Path, tiny_model: Callable[..., Decoder], bundled_tokenizer: Tokenizer
) -> None:
    long_input = " ".join(["word"] * 200)
    path = _write(
        tmp_path,
        '{"input": "a", "output": "b"}\n' + f'{{"input": "{long_input}", "output": "b"}}\n',
    )
    generator = Generator(tiny_model(), bundled_tokenizer)
    with pytest.raises(TuningDataError, match="too long") as info:
        encode_examples(read_examples(path), resolve_template(None), generator)
    assert info.value.line == 2
