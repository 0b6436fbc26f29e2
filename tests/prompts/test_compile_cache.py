"""The compile cache: identical templates share one compile, anything that changes the
compiled code (source, layout values, name, search path, files on disk) gets its own."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from promptcraft.errors import MissingInputError, TemplateSecurityError, TemplateSyntaxError
from promptcraft.prompts import (
    FewShotPrompt,
    PromptTemplate,
    RenderLimits,
    load_prompt,
)
from promptcraft.prompts.environment import PromptEnvironment, get_environment

# Each test passes its own tmp_path as the search path, so it has an environment (and a
# compile cache) of its own and counts only its own compiles.


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_building_an_identical_template_again_does_not_compile(tmp_path, reviews) -> None:
    FewShotPrompt(reviews, input_label="Review", search_path=[tmp_path])
    env = get_environment([tmp_path])
    before = env.compile_count
    FewShotPrompt(reviews[:1], input_label="Review", search_path=[tmp_path])
    assert env.compile_count == before


def test_a_template_from_the_cache_renders_its_own_examples(tmp_path, reviews) -> None:
    FewShotPrompt(reviews, input_label="Review", search_path=[tmp_path])
    second = FewShotPrompt(reviews[:1], input_label="Review", search_path=[tmp_path])
    assert second.render(input="Great") == (
        "Review: I loved every minute of it\nOutput: positive\n\nReview: Great\nOutput:"
    )


def test_loading_the_same_prompt_file_again_does_not_compile(write_prompt, tmp_path) -> None:
    path = write_prompt("name: t\nkind: few_shot\nexamples: [{input: a, output: b}]")
    load_prompt(path)
    env = get_environment([tmp_path])
    before = env.compile_count
    assert load_prompt(path).render(input="c") == "Input: a\nOutput: b\n\nInput: c\nOutput:"
    assert env.compile_count == before


def test_load_prompt_returns_a_template_of_its_own(write_prompt) -> None:
    path = write_prompt("name: t\ndefaults: {temperature: 0}", "Hi")
    first = load_prompt(path)
    first.defaults["temperature"] = 1.0
    assert load_prompt(path).defaults == {"temperature": 0.0}


def test_changing_nested_example_data_of_a_loaded_template_changes_no_later_load(
    write_prompt,
) -> None:
    path = write_prompt("name: t\nkind: few_shot\nexamples: [{input: a, output: [b]}]")
    load_prompt(path).examples[0]["output"].append("c")
    assert load_prompt(path).examples[0]["output"] == ["b"]


def test_different_sources_do_not_share_a_compile(tmp_path) -> None:
    env = get_environment([tmp_path])
    before = env.compile_count
    a = PromptTemplate("A {{ x }}", search_path=[tmp_path])
    b = PromptTemplate("B {{ x }}", search_path=[tmp_path])
    assert (a.render(x=1), b.render(x=1)) == ("A 1", "B 1")
    assert env.compile_count == before + 2


def test_different_layout_values_do_not_share_a_compile(tmp_path, reviews) -> None:
    review = FewShotPrompt(reviews[:1], input_label="Review", search_path=[tmp_path])
    text = FewShotPrompt(reviews[:1], input_label="Text", search_path=[tmp_path])
    assert review.render(input="x").endswith("Review: x\nOutput:")
    assert text.render(input="x").endswith("Text: x\nOutput:")


def test_layout_values_equal_in_python_but_of_other_types_do_not_share() -> None:
    env = PromptEnvironment([])
    one = env.compile_prompt("{{ layout.v }}", "t", "t", constants={"layout": {"v": 1}})
    true = env.compile_prompt("{{ layout.v }}", "t", "t", constants={"layout": {"v": True}})
    assert (one.render(), true.render()) == ("1", "True")


def test_a_cache_hit_reports_errors_under_its_own_name(tmp_path) -> None:
    PromptTemplate("{{ a }}\n{{ b }}", name="first", inputs={}, search_path=[tmp_path])
    second = PromptTemplate("{{ a }}\n{{ b }}", name="second", inputs={}, search_path=[tmp_path])
    with pytest.raises(MissingInputError) as caught:
        second.render(a=1)
    assert (caught.value.template, caught.value.line) == ("<prompt second>", 2)


def test_different_search_paths_do_not_share_a_compile(tmp_path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    _write(one / "layouts" / "mine.jinja", "one: {% block query %}{% endblock %}")
    _write(two / "layouts" / "mine.jinja", "two: {% block query %}{% endblock %}")
    body = '{% extends "layouts/mine.jinja" %}{% block query %}{{ x }}{% endblock %}'
    first = PromptTemplate(body, search_path=[one])
    second = PromptTemplate(body, search_path=[two])
    assert (first.render(x=1), second.render(x=1)) == ("one: 1", "two: 1")


def test_editing_a_layout_on_disk_recompiles(tmp_path) -> None:
    layout = _write(tmp_path / "layouts" / "mine.jinja", "old {% block query %}{% endblock %}")
    body = '{% extends "layouts/mine.jinja" %}{% block query %}{{ x }}{% endblock %}'
    PromptTemplate(body, search_path=[tmp_path])
    env = get_environment([tmp_path])
    before = env.compile_count
    # same size, and written at once: an mtime check could miss it, a digest does not
    layout.write_text("new {% block query %}{% endblock %}", encoding="utf-8")
    assert PromptTemplate(body, search_path=[tmp_path]).render(x=1) == "new 1"
    assert env.compile_count == before + 1


def test_editing_a_parent_prompt_file_recompiles(write_prompt) -> None:
    parent = write_prompt("name: base", "{% block query %}old {{ x }}{% endblock %}", "base.prompt")
    child = write_prompt("name: child", '{% extends "base.prompt" %}', "child.prompt")
    load_prompt(child)
    parent.write_text(parent.read_text().replace("old", "new"), encoding="utf-8")
    assert load_prompt(child).render(x=1) == "new 1"


def test_a_layout_shadowed_on_an_earlier_root_recompiles(tmp_path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    _write(second / "layouts" / "mine.jinja", "second {% block query %}{% endblock %}")
    body = '{% extends "layouts/mine.jinja" %}{% block query %}{{ x }}{% endblock %}'
    PromptTemplate(body, search_path=[first, second])
    _write(first / "layouts" / "mine.jinja", "first {% block query %}{% endblock %}")
    assert PromptTemplate(body, search_path=[first, second]).render(x=1) == "first 1"


def test_a_deleted_layout_is_reported_not_served_from_the_cache(tmp_path) -> None:
    layout = _write(tmp_path / "layouts" / "mine.jinja", "{% block query %}{% endblock %}")
    body = '{% extends "layouts/mine.jinja" %}{% block query %}{{ x }}{% endblock %}'
    PromptTemplate(body, search_path=[tmp_path])
    layout.unlink()
    with pytest.raises(TemplateSyntaxError, match="not found on the search path"):
        PromptTemplate(body, search_path=[tmp_path])


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_a_layout_link_moved_outside_the_search_path_is_refused(tmp_path) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    target = _write(root / "real.jinja", "{% block query %}{% endblock %}")
    secret = _write(outside / "secret.jinja", "secret {% block query %}{% endblock %}")
    link = root / "layouts" / "mine.jinja"
    link.parent.mkdir()
    link.symlink_to(target)
    body = '{% extends "layouts/mine.jinja" %}{% block query %}{{ x }}{% endblock %}'
    PromptTemplate(body, search_path=[root])
    link.unlink()
    link.symlink_to(secret)
    with pytest.raises(TemplateSecurityError, match="outside the search path"):
        PromptTemplate(body, search_path=[root])


def test_editing_an_included_file_is_seen_by_the_next_template(tmp_path) -> None:
    part = _write(tmp_path / "part.jinja", "[{{ x }}]")
    body = '{% include "part.jinja" %}'
    assert PromptTemplate(body, search_path=[tmp_path]).render(x=1) == "[1]"
    part.write_text("<{{ x }}>", encoding="utf-8")
    assert PromptTemplate(body, search_path=[tmp_path]).render(x=1) == "<1>"


def test_editing_a_file_an_include_includes_is_seen_by_the_next_template(tmp_path) -> None:
    _write(tmp_path / "outer.jinja", '{% include "inner.jinja" %}')
    inner = _write(tmp_path / "inner.jinja", "[{{ x }}]")
    body = '{% include "outer.jinja" %}'
    PromptTemplate(body, search_path=[tmp_path]).render(x=1)
    inner.write_text("<{{ x }}>", encoding="utf-8")
    assert PromptTemplate(body, search_path=[tmp_path]).render(x=1) == "<1>"


def test_editing_a_file_included_by_a_computed_name_is_seen_by_the_next_template(
    tmp_path,
) -> None:
    part = _write(tmp_path / "part.jinja", "[{{ x }}]")
    body = "{% include which %}"
    PromptTemplate(body, search_path=[tmp_path]).render(x=1, which="part.jinja")
    part.write_text("<{{ x }}>", encoding="utf-8")
    template = PromptTemplate(body, search_path=[tmp_path])
    assert template.render(x=1, which="part.jinja") == "<1>"


def test_editing_the_prompt_file_itself_is_seen_by_the_next_load(write_prompt) -> None:
    path = write_prompt("name: t", "old {{ x }}")
    load_prompt(path)
    path.write_text(path.read_text().replace("old", "new"), encoding="utf-8")
    assert load_prompt(path).render(x=1) == "new 1"


def test_unchanged_includes_are_not_recompiled_for_the_next_template(tmp_path) -> None:
    _write(tmp_path / "part.jinja", "[{{ x }}]")
    PromptTemplate('{% include "part.jinja" %}', search_path=[tmp_path]).render(x=1)
    env = get_environment([tmp_path])
    before = env.compile_count
    PromptTemplate('{% include "part.jinja" %}', search_path=[tmp_path]).render(x=2)
    assert env.compile_count == before


def test_a_template_that_fails_to_compile_fails_again_with_its_line(tmp_path) -> None:
    for _ in range(2):
        with pytest.raises(TemplateSyntaxError) as caught:
            PromptTemplate("ok\n{% if %}", search_path=[tmp_path])
        assert caught.value.line == 2


def test_templates_sharing_a_compile_keep_their_own_limits(tmp_path) -> None:
    body = "{% for i in range(n) %}.{% endfor %}"
    loose = PromptTemplate(body, search_path=[tmp_path])
    tight = PromptTemplate(body, search_path=[tmp_path], limits=RenderLimits(max_iterations=5))
    assert loose.render(n=10) == ".........."
    with pytest.raises(TemplateSecurityError, match="max_iterations"):
        tight.render(n=10)


def test_the_compile_cache_is_bounded(tmp_path) -> None:
    env = PromptEnvironment([tmp_path], compile_cache_size=2)
    for source in ("a", "b", "c"):
        env.compile_prompt(source, "t", "t")
    assert len(env.compile_cache) == 2


def test_the_least_recently_used_entry_is_evicted_first(tmp_path) -> None:
    env = PromptEnvironment([tmp_path], compile_cache_size=2)
    for source in ("a", "b", "a", "c"):
        env.compile_prompt(source, "t", "t")
    before = env.compile_count
    env.compile_prompt("a", "t", "t")
    assert env.compile_count == before
    env.compile_prompt("b", "t", "t")
    assert env.compile_count == before + 1


def test_threads_building_the_same_template_all_render_it(tmp_path, reviews) -> None:
    results: list[str] = []
    lock = threading.Lock()

    def build() -> None:
        text = FewShotPrompt(reviews, search_path=[tmp_path]).render(input="x")
        with lock:
            results.append(text)

    threads = [threading.Thread(target=build) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    expected = FewShotPrompt(reviews, search_path=[tmp_path]).render(input="x")
    assert results == [expected] * 8
    assert len(get_environment([tmp_path]).compile_cache) == 1
