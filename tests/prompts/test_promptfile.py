"""`.prompt` files: front matter, bodies, and errors that point at the file line."""

from __future__ import annotations

import json

import pytest

from promptcraft.prompts import (
    InputValidationError,
    MissingInputError,
    TemplateRenderError,
    TemplateSyntaxError,
    load_prompt,
)

FEW_SHOT = """
    name: sentiment
    description: Label sentiment.
    kind: few_shot
    inputs:
      text: {type: str, description: The text.}
    examples:
      - {text: "Loved it", label: positive}
      - {text: "Hated it", label: negative}
    defaults: {max_tokens: 3, temperature: 0}
    output: {choices: [positive, negative]}
    samples:
      - {text: Fine}
"""
FEW_SHOT_BODY = """\
{% block example %}
Text: {{ example.text }}
Label: {{ example.label }}
{% endblock %}
{% block query %}
Text: {{ text }}
Label:
{% endblock %}
"""


def test_load_prompt_reads_every_front_matter_field(write_prompt) -> None:
    prompt = load_prompt(write_prompt(FEW_SHOT, FEW_SHOT_BODY))
    assert (prompt.name, prompt.kind, prompt.description) == (
        "sentiment",
        "few_shot",
        "Label sentiment.",
    )
    assert prompt.inputs["text"].description == "The text."
    assert prompt.examples[1] == {"text": "Hated it", "label": "negative"}
    assert prompt.defaults == {"max_tokens": 3, "temperature": 0.0}
    assert prompt.output.choices == ("positive", "negative")
    assert prompt.samples == ({"text": "Fine"},)
    assert prompt.source_path is not None and prompt.source_path.name == "test.prompt"


def test_blocks_of_a_prompt_file_fill_the_layout(write_prompt) -> None:
    prompt = load_prompt(write_prompt(FEW_SHOT, FEW_SHOT_BODY))
    assert prompt.render(text="Fine") == (
        "Text: Loved it\nLabel: positive\n\nText: Hated it\nLabel: negative\n\nText: Fine\nLabel:"
    )


def test_a_body_without_blocks_is_the_query(write_prompt) -> None:
    path = write_prompt("name: hello\ninputs: {who: str}", "Hello, {{ who }}!\n")
    assert load_prompt(path).render(who="Ada") == "Hello, Ada!"


def test_layout_settings_come_from_front_matter(write_prompt) -> None:
    front = """
        name: qa
        kind: few_shot
        examples: [{q: "1+1", a: "2"}]
        layout: {input_key: q, output_key: a, input_label: Q, output_label: A}
    """
    assert load_prompt(write_prompt(front)).render(q="2+2") == "Q: 1+1\nA: 2\n\nQ: 2+2\nA:"


def test_examples_file_is_read_relative_to_the_prompt(write_prompt, tmp_path) -> None:
    rows = [{"input": "a", "output": "b"}, {"input": "c", "output": "d"}]
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "ex.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    path = write_prompt("name: t\nkind: few_shot\nexamples_file: data/ex.jsonl")
    assert load_prompt(path).examples == tuple(rows)


def test_examples_file_outside_the_prompt_folder_is_rejected(write_prompt, tmp_path) -> None:
    (tmp_path / "x.jsonl").write_text('{"input": "a", "output": "b"}\n')
    path = write_prompt("name: t\nkind: few_shot\nexamples_file: ../x.jsonl", name="sub/t.prompt")
    with pytest.raises(TemplateSyntaxError, match="inside the folder") as info:
        load_prompt(path)
    assert info.value.line == 4


def test_bad_json_in_examples_file_names_its_line(write_prompt, tmp_path) -> None:
    (tmp_path / "ex.jsonl").write_text('{"input": "a", "output": "b"}\n{oops\n')
    with pytest.raises(TemplateSyntaxError) as info:
        load_prompt(write_prompt("name: t\nkind: few_shot\nexamples_file: ex.jsonl"))
    assert (info.value.template.endswith("ex.jsonl"), info.value.line) == (True, 2)


def test_unknown_front_matter_key_names_file_and_line(write_prompt) -> None:
    path = write_prompt("name: t\ndescription: d\ninptus: {x: str}")
    with pytest.raises(TemplateSyntaxError, match="did you mean 'inputs'") as info:
        load_prompt(path)
    assert (info.value.template, info.value.line) == (str(path), 4)
    assert str(info.value).startswith(f"{path}:4: ")


def test_yaml_error_names_file_and_line(write_prompt) -> None:
    path = write_prompt("name: t\ninputs:\n  x: [unclosed\n")
    with pytest.raises(TemplateSyntaxError, match="YAML") as info:
        load_prompt(path)
    assert info.value.template == str(path)
    assert info.value.line is not None and info.value.line >= 4


def test_missing_name_is_an_error(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="name"):
        load_prompt(write_prompt("description: no name"))


def test_duplicate_front_matter_key_is_an_error(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="twice") as info:
        load_prompt(write_prompt("name: a\nname: b"))
    assert info.value.line == 3


def test_unclosed_front_matter_is_an_error(tmp_path) -> None:
    path = tmp_path / "t.prompt"
    path.write_text("---\nname: t\nHello\n")
    with pytest.raises(TemplateSyntaxError, match="not closed"):
        load_prompt(path)


def test_syntax_error_line_is_the_line_in_the_file(write_prompt) -> None:
    path = write_prompt("name: t", "first line\nsecond {{ oops( }}\n")
    with pytest.raises(TemplateSyntaxError) as info:
        load_prompt(path)
    assert (info.value.template, info.value.line) == (str(path), 5)


def test_missing_input_line_is_the_line_in_the_file(write_prompt) -> None:
    path = write_prompt("name: t\ndescription: d", "one\ntwo\n{{ three }}\n")
    with pytest.raises(MissingInputError) as info:
        load_prompt(path).render()
    assert (info.value.variable, info.value.line) == ("three", 7)


def test_error_inside_a_layout_names_the_layout_file(write_prompt, tmp_path) -> None:
    (tmp_path / "mine.jinja").write_text("header\n{{ 1 // 0 }}\n{% block query %}{% endblock %}")
    path = write_prompt("name: t", '{% extends "mine.jinja" %}{% block query %}q{% endblock %}')
    with pytest.raises(TemplateRenderError) as info:
        load_prompt(path).render()
    assert (info.value.template, info.value.line) == (str(tmp_path / "mine.jinja"), 2)


def test_text_outside_blocks_is_an_error_with_its_line(write_prompt) -> None:
    body = "{% block instruction %}Hi{% endblock %}\nstray text\n"
    with pytest.raises(TemplateSyntaxError, match="outside") as info:
        load_prompt(write_prompt("name: t", body))
    assert info.value.line == 5


def test_bad_input_declaration_points_at_the_input(write_prompt) -> None:
    path = write_prompt("name: t\ninputs:\n  a: str\n  b: {type: complex}")
    with pytest.raises(TemplateSyntaxError, match="complex") as info:
        load_prompt(path)
    assert info.value.line == 5


def test_bad_select_points_at_select(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="needs k") as info:
        load_prompt(write_prompt("name: t\nkind: few_shot\nselect: first_k"))
    assert info.value.line == 4


def test_unknown_kind_points_at_kind(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="kind") as info:
        load_prompt(write_prompt("name: t\nkind: poem"))
    assert info.value.line == 3


def test_a_prompt_can_extend_another_prompt(write_prompt) -> None:
    write_prompt(
        "name: base\nkind: hybrid",
        "{% block instruction %}Be brief.{% endblock %}{% block query %}Q: {{ q }}{% endblock %}",
        name="base.prompt",
    )
    path = write_prompt(
        "name: child\ninputs: {q: str}",
        '{% extends "base.prompt" %}{% block instruction %}Be kind.{% endblock %}',
        name="child.prompt",
    )
    assert load_prompt(path).render(q="hi") == "Be kind.\n\nQ: hi"


def test_super_calls_the_parent_block(write_prompt) -> None:
    body = '{% extends "layouts/prefix.jinja" %}{% block query %}Note. {{ super() }}{% endblock %}'
    path = write_prompt("name: t\ninputs: {input: str}", body)
    assert load_prompt(path).render(input="x") == "Note. x"


def test_output_spec_accepts_text_choices_and_schema(write_prompt) -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    specs = ["text", {"choices": ["a", "b"]}, {"schema": schema}]
    kinds = [load_prompt(write_prompt(f"name: t\noutput: {json.dumps(s)}")).output for s in specs]
    assert [o.type for o in kinds] == ["text", "choices", "json"]
    assert kinds[2].json_schema == schema


def test_missing_file_is_template_not_found(tmp_path) -> None:
    from promptcraft.prompts import TemplateNotFoundError

    with pytest.raises(TemplateNotFoundError):
        load_prompt(tmp_path / "nope.prompt")


def test_unknown_filter_in_a_block_names_the_file_line(write_prompt) -> None:
    body = "{% block instruction %}\nfine\n{{ x|no_such_filter }}\n{% endblock %}\n"
    path = write_prompt("name: t\nkind: hybrid", body)
    with pytest.raises(TemplateSyntaxError, match="no_such_filter") as info:
        load_prompt(path)
    assert (info.value.template, info.value.line) == (str(path), 7)


def test_error_lines_stay_right_for_templates_sharing_a_name() -> None:
    from promptcraft.prompts import FewShotPrompt, PrefixPrompt

    PrefixPrompt("{{ 1 // 0 }}", name="same")
    few_shot = FewShotPrompt([{"input": "a"}], name="same")  # no "output" field
    with pytest.raises(TemplateRenderError) as info:
        few_shot.render(input="q")
    assert info.value.template.endswith("few_shot.jinja")


def test_macros_import_from_the_search_path(write_prompt, tmp_path) -> None:
    (tmp_path / "macros.jinja").write_text("{% macro shout(s) %}{{ s|upper }}!{% endmacro %}")
    body = '{% from "macros.jinja" import shout %}{{ shout(word) }}'
    assert load_prompt(write_prompt("name: t", body)).render(word="hey") == "HEY!"


# --- front matter YAML that must not load silently or with a traceback ----------------------


def test_duplicate_key_inside_a_mapping_is_an_error_at_its_line(write_prompt) -> None:
    path = write_prompt("name: t\ninputs:\n  x: str\n  x: int", "{{ x }}")
    with pytest.raises(TemplateSyntaxError, match="'x' appears twice") as info:
        load_prompt(path)
    assert info.value.line == 5


def test_top_level_key_that_yaml_reads_as_a_bool_is_an_error_at_its_line(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="'yes' does not read as a string") as info:
        load_prompt(write_prompt("name: t\nyes: 1"))
    assert info.value.line == 3


def test_control_character_in_front_matter_is_a_syntax_error_at_its_line(write_prompt) -> None:
    path = write_prompt('name: t\ndescription: "a\x0cb"')
    with pytest.raises(TemplateSyntaxError, match=r"'\\x0c' is not allowed") as info:
        load_prompt(path)
    assert (info.value.template, info.value.line) == (str(path), 3)


def test_deeply_nested_front_matter_is_a_syntax_error(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="nested too deeply"):
        load_prompt(write_prompt("name: t\nsamples: " + "[" * 5000 + "]" * 5000))


def test_yaml_alias_bomb_is_refused_before_expanding(write_prompt) -> None:
    rows = "".join(f"  - &a{i} [*a{i - 1}, *a{i - 1}]\n" for i in range(1, 60))
    front = "name: t\nsamples:\n  - &a0 {x: 1}\n" + rows
    with pytest.raises(TemplateSyntaxError, match="aliases"):
        load_prompt(write_prompt(front))


def test_yaml_alias_inside_its_own_value_is_refused(write_prompt) -> None:
    with pytest.raises(TemplateSyntaxError, match="refers to the value that contains it"):
        load_prompt(write_prompt("name: t\nsamples: &a [*a]"))


def test_line_separator_in_front_matter_keeps_body_lines_those_of_the_file(tmp_path) -> None:
    path = tmp_path / "t.prompt"
    path.write_text('---\nname: t\ndescription: "a\u2028b"\n---\nok\n{{ 1 // 0 }}\n', "utf-8")
    with pytest.raises(TemplateRenderError) as info:
        load_prompt(path).render()
    assert info.value.line == 6


def test_file_that_is_not_utf8_names_the_line_of_the_bad_byte(tmp_path) -> None:
    path = tmp_path / "t.prompt"
    path.write_bytes(b"---\nname: t\n---\nfine\n\xff oops\n")
    with pytest.raises(TemplateSyntaxError, match="0xff") as info:
        load_prompt(path)
    assert info.value.line == 5


# --- input declarations and the errors of a render --------------------------------------


def test_input_default_of_the_wrong_type_is_an_error_at_its_line(write_prompt) -> None:
    path = write_prompt("name: t\ninputs:\n  n:\n    type: int\n    default: many", "{{ n }}")
    with pytest.raises(TemplateSyntaxError, match="default 'many'") as info:
        load_prompt(path)
    assert info.value.line == 6


def test_input_default_outside_its_enum_is_an_error(write_prompt) -> None:
    front = "name: t\ninputs: {tone: {type: str, enum: [plain, formal], default: angry}}"
    with pytest.raises(TemplateSyntaxError, match="default 'angry'"):
        load_prompt(write_prompt(front, "{{ tone }}"))


def test_enum_values_must_have_the_input_type(write_prompt) -> None:
    front = "name: t\ninputs: {n: {type: int, enum: [one, two]}}"
    with pytest.raises(TemplateSyntaxError, match="enum value 'one' is not of type int"):
        load_prompt(write_prompt(front, "{{ n }}"))


def test_int_enum_accepts_a_numeric_string_like_an_int_input(write_prompt) -> None:
    prompt = load_prompt(write_prompt("name: t\ninputs: {n: {type: int, enum: [1, 2]}}", "{{ n }}"))
    assert prompt.render(n="2") == "2"
    with pytest.raises(InputValidationError, match="1 or 2"):
        prompt.render(n="3")


def test_unexpected_input_suggests_the_declared_name(write_prompt) -> None:
    prompt = load_prompt(write_prompt("name: t\ninputs: {words: int}", "{{ words }}"))
    with pytest.raises(InputValidationError, match="did you mean 'words'"):
        prompt.render(words=1, wrods=2)


def test_undeclared_variable_read_by_the_template_says_to_declare_it(write_prompt) -> None:
    prompt = load_prompt(write_prompt("name: t\ninputs: {text: str}", "{{ text }}\n{{ txet }}"))
    with pytest.raises(MissingInputError, match="not a declared input") as info:
        prompt.render(text="a")
    assert (info.value.variable, info.value.line) == ("txet", 6)


def test_unknown_filter_inside_an_if_is_a_syntax_error_at_its_line(write_prompt) -> None:
    body = "{% if x %}\n{{ x|uper }}\n{% endif %}\n"
    with pytest.raises(TemplateSyntaxError, match="did you mean 'upper'") as info:
        load_prompt(write_prompt("name: t", body))
    assert info.value.line == 5


def test_byte_order_mark_of_a_layout_or_include_is_not_in_the_prompt(
    write_prompt, tmp_path
) -> None:
    (tmp_path / "layout.jinja").write_text("\ufeff{% block query %}Q: {{ q }}{% endblock %}")
    (tmp_path / "part.jinja").write_text("\ufeffhello")
    body = '{% extends "layout.jinja" %}{% block query %}{% include "part.jinja" %}{% endblock %}'
    assert load_prompt(write_prompt("name: t", body)).render() == "hello"
    assert (
        load_prompt(write_prompt("name: t2", '{% extends "layout.jinja" %}')).render(q="x")
        == "Q: x"
    )
