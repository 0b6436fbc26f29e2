"""The prompt-oriented filters."""

from __future__ import annotations

import pytest

from promptcraft.prompts import Message, PromptTemplate, TemplateRenderError
from promptcraft.tokenizers.tokenizer import get_tokenizer


def render(source: str, **inputs: object) -> str:
    return PromptTemplate(source).render(**inputs)


def test_json_keeps_non_ascii_and_key_order() -> None:
    assert render("{{ d|json }}", d={"b": "é", "a": 1}) == '{"b": "é", "a": 1}'


def test_json_indent_and_sort_keys() -> None:
    assert render("{{ d|json(indent=2, sort_keys=true) }}", d={"b": 1, "a": 2}) == (
        '{\n  "a": 2,\n  "b": 1\n}'
    )


def test_json_serializes_pydantic_models() -> None:
    message = Message(role="user", content="hi")
    assert render("{{ m|json }}", m=message) == (
        '{"role": "user", "content": "hi", "name": null, "tool_call_id": null, "tool_calls": null}'
    )


def test_json_of_an_unserializable_value_is_a_render_error() -> None:
    with pytest.raises(TemplateRenderError, match="serialize"):
        render("{{ o|json }}", o=object())


def test_numbered_lists_items_from_one() -> None:
    assert render("{{ xs|numbered }}", xs=["a", "b"]) == "1. a\n2. b"


def test_numbered_can_start_elsewhere() -> None:
    assert render("{{ xs|numbered(start=0) }}", xs=["a"]) == "0. a"


def test_bullets_marks_each_item() -> None:
    assert render("{{ xs|bullets }}", xs=["a", "b"]) == "- a\n- b"


def test_bullets_of_a_mapping_lists_key_value_lines() -> None:
    assert render('{{ d|bullets("*") }}', d={"k": "v"}) == "* k: v"


def test_bullets_of_a_string_uses_its_lines() -> None:
    assert render("{{ s|bullets }}", s="x\ny") == "- x\n- y"


def test_indent_indents_every_nonblank_line_including_the_first() -> None:
    assert render("{{ s|indent(2) }}", s="a\n\nb") == "  a\n\n  b"


def test_indent_accepts_a_string_prefix_and_blank_lines() -> None:
    assert render('{{ s|indent("> ", blank=true) }}', s="a\n") == "> a\n> "


def test_truncate_tokens_keeps_the_first_n_tokens() -> None:
    tokenizer = get_tokenizer("cl100k_base")
    text = "The quick brown fox jumps over the lazy dog. " * 5
    cut = render("{{ t|truncate_tokens(7) }}", t=text)
    assert tokenizer.encode(cut) == tokenizer.encode(text)[:7]


def test_truncate_tokens_leaves_short_text_alone() -> None:
    assert render("{{ t|truncate_tokens(50, end='...') }}", t="short") == "short"


def test_truncate_tokens_appends_the_end_marker_when_it_cuts() -> None:
    assert render("{{ t|truncate_tokens(1, end='...') }}", t="hello world") == "hello..."


def test_truncate_tokens_never_splits_a_character() -> None:
    text = "😀😀😀"  # several tokens per emoji in cl100k
    cut = render("{{ t|truncate_tokens(1) }}", t=text)
    assert "\ufffd" not in cut and text.startswith(cut)


def test_truncate_tokens_accepts_another_encoding_object() -> None:
    tokenizer = get_tokenizer("cl100k_base")
    assert render("{{ t|truncate_tokens(1, tok) }}", t="hello world", tok=tokenizer) == "hello"
