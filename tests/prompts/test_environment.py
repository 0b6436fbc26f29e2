"""The sandboxed environment: compile caching, whitespace rules, lookups, imports."""

from __future__ import annotations

import subprocess
import sys

from promptcraft.prompts import FewShotPrompt, PromptTemplate, load_prompt
from promptcraft.prompts.environment import get_environment


def test_a_template_compiles_once_and_rendering_never_recompiles(reviews) -> None:
    prompt = FewShotPrompt(reviews, input_label="Review")
    before = prompt.env.compile_count
    for i in range(20):
        prompt.render(input=f"query {i}")
    assert prompt.env.compile_count == before


def test_runtime_includes_compile_once_across_renders(write_prompt, tmp_path) -> None:
    (tmp_path / "part.jinja").write_text("[{{ x }}]")
    prompt = load_prompt(write_prompt("name: t", '{% include "part.jinja" %}'))
    prompt.render(x=1)
    after_first = prompt.env.compile_count
    for i in range(5):
        assert prompt.render(x=i) == f"[{i}]"
    assert prompt.env.compile_count == after_first


def test_environments_are_shared_per_search_path(tmp_path) -> None:
    assert get_environment([tmp_path]) is get_environment([tmp_path])


def test_bundled_templates_are_always_on_the_search_path(tmp_path) -> None:
    roots = get_environment([tmp_path]).search_path
    assert roots[0] == tmp_path.resolve() and roots[-1].name == "templates"


def test_block_tags_on_their_own_lines_leave_no_blank_lines() -> None:
    source = "{% if true %}\n  a\n{% endif %}\n{% for x in [1, 2] %}\n{{ x }}\n{% endfor %}\nend\n"
    assert PromptTemplate(source).render() == "  a\n1\n2\nend"


def test_the_final_newline_of_the_file_is_not_part_of_the_prompt(write_prompt) -> None:
    assert load_prompt(write_prompt("name: t", "Hello\n")).render() == "Hello"


def test_no_html_autoescaping() -> None:
    assert PromptTemplate("{{ x }}").render(x="<b>&</b>") == "<b>&</b>"


def test_dot_lookup_on_a_dict_reads_the_key_first() -> None:
    assert PromptTemplate("{{ d.items }}-{{ d.x }}").render(d={"items": 3, "x": 4}) == "3-4"


def test_dot_lookup_still_reaches_methods_of_dicts() -> None:
    assert PromptTemplate("{{ d.keys()|list }}").render(d={"a": 1}) == "['a']"


def test_safe_string_methods_work() -> None:
    assert PromptTemplate("{{ s.upper().strip() }}").render(s=" hi ") == "HI"


def test_import_of_the_engine_does_not_import_torch() -> None:
    code = (
        "import sys, promptcraft.prompts as p\n"
        "p.FewShotPrompt([{'input': 'a', 'output': 'b'}]).render(input='c')\n"
        "p.PromptLibrary().get('summarize')\n"
        "print('torch' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert result.stdout.strip() == "False"
