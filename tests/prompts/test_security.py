"""Server-side template injection, resource exhaustion and path escapes.

Every payload, written as template source or passed as an input value, must either raise
TemplateSecurityError or render harmlessly; none may execute code or leak internals."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from jinja2 import meta

from promptcraft.prompts import (
    MissingInputError,
    PrefixPrompt,
    PromptTemplate,
    RenderLimits,
    TemplateSecurityError,
    load_prompt,
)
from promptcraft.prompts.environment import get_environment

INJECTIONS = [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__()[100].__init__.__globals__['sys'] }}",
    "{{ x.__class__.__init__.__globals__ }}",
    "{{ x.__getattribute__('__class__') }}",
    "{{ x.__len__() }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__globals__ }}",
    "{{ cycler(1, 2).__class__ }}",
    "{{ namespace(a=1).__dict__ }}",
    "{{ x|attr('__class__') }}",
    "{{ x|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
    "{{ ()|attr('__class__')|attr('__base__')|attr('__subclasses__')() }}",
    "{{ x|selectattr('__class__')|list }}",
    "{{ '{0.__class__.__mro__}'.format(x) }}",
    "{{ '{x.__class__}'.format_map({'x': x}) }}",
    "{{ x.format('{0.__class__}') }}",
    "{{ '%s' % x }}",
    "{{ config.__class__.__init__.__globals__ }}",
    "{{ request.application.__globals__.__builtins__ }}",
    "{{ self }}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    "{{ [1].append(2) }}",
    "{{ {}.update(a=1) }}",
    "{{ x.encode('utf-8').decode.__globals__ }}",
    "{{ (x|string).__class__ }}",
    "{{ (1).to_bytes(8, 'big') }}",
    "{{ x.translate({97: 'b'}) }}",
    "{% set ns = namespace() %}{% set ns.__class__ = 1 %}{{ ns.__class__ }}",
    "{% include '/etc/passwd' %}",
    "{% include '../../../../../../etc/passwd' %}",
    "{% import '/etc/hosts' as h %}",
    "{% from '../secrets.jinja' import key %}",
    "{% extends '/etc/passwd' %}",
    "{% include '.hidden/secret.jinja' %}",
    "{% include 'passwords.key' %}",
]

# What a leak of Python internals would print.
LEAKS = ("<class", "<module", "<function", "<built-in", "__builtins__", "uid=", "root:x")


def _free_variables(source: str) -> dict[str, str]:
    env = get_environment()
    try:
        names = meta.find_undeclared_variables(env.parse(source))
    except Exception:
        return {}
    return {name: "x" for name in names - set(env.globals)}


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_template_source_is_refused_or_harmless(payload: str) -> None:
    try:
        text = PromptTemplate(payload).render(**_free_variables(payload))
    except TemplateSecurityError:
        return
    assert not any(leak in text for leak in LEAKS), text


@pytest.mark.parametrize("payload", INJECTIONS)
def test_injection_in_an_input_value_renders_literally(payload: str) -> None:
    assert PrefixPrompt("Echo:").render(input=payload) == f"Echo:\n\n{payload}"


def test_attribute_walk_raises_security_error_naming_the_attribute() -> None:
    with pytest.raises(TemplateSecurityError, match="__class__"):
        PromptTemplate("{{ x.__class__ }}").render(x="a")


def test_there_is_no_config_or_request_global_to_leak() -> None:
    for name in ("config", "request", "settings", "os", "__builtins__"):
        with pytest.raises(MissingInputError):
            PromptTemplate("{{ " + name + " }}").render()


def test_str_format_is_refused() -> None:
    with pytest.raises(TemplateSecurityError, match="format"):
        PromptTemplate("{{ '{}'.format(1) }}").render()


# Each would print a function, class or method: its text holds names and memory addresses.
PRINTED_INTERNALS = [
    "{{ ''.format_map }}",
    "{% set f = ''.format %}{{ f }}",
    "{{ ''.format_map | string }}",
    "{{ ''.format_map ~ 'a' }}",
    "{{ [''.format_map] | join }}",
    "{{ x.upper }}",
    "{{ x.upper | upper }}",
    "{{ (x.upper,) }}",
    "{{ {'a': x.upper} }}",
    "{{ range }}",
    "{{ lipsum ~ '' }}",
    "{{ dict }}",
    "{{ cycler }}",
]


@pytest.mark.parametrize("body", PRINTED_INTERNALS)
def test_printing_a_function_or_class_raises_and_shows_no_address(body: str) -> None:
    with pytest.raises(TemplateSecurityError) as caught:
        PromptTemplate(body).render(x="abc")
    assert "0x" not in str(caught.value)
    assert "_RefusedFormat" not in str(caught.value)


def test_a_deeply_nested_input_is_checked_without_recursing_into_it() -> None:
    deep: list[object] = []
    inner = deep
    for _ in range(5000):
        inner.append([])
        inner = inner[0]  # type: ignore[assignment]
    assert PromptTemplate("{{ v | length }}").render(v=deep) == "1"


def test_calling_what_may_not_be_printed_still_works() -> None:
    body = "{{ x.upper() }} {{ range(2) | list }} {{ dict(a=1) }}"
    assert PromptTemplate(body).render(x="abc") == "ABC [0, 1] {'a': 1}"


RESOURCE_BOMBS = [
    "{% for i in range(10**9) %}{% endfor %}",
    "{{ 'x' * 10**10 }}",
    "{{ [0] * 10**9 }}",
    "{{ (1,) * 10**9 }}",
    "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}",
    "{% for i in range(5000) %}{% for j in range(5000) %}{% for k in range(5000) %}"
    "{% endfor %}{% endfor %}{% endfor %}",
    "{{ 10 ** (10 ** 10) }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}"
    "{% endfor %}{{ ns.s|length }}",
    "{% set ns = namespace(s='xx') %}{% for i in range(64) %}{% set ns.s = ns.s + ns.s %}"
    "{% endfor %}",
    "{% set a = 'x' * 900000 %}{{ [a, a, a]|length }}",
    "{% set a = 'x' * 900000 %}{{ {'k': a, 'l': a}|length }}",
    "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}{{ f(40) }}",
    "{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}",
    "{% for i in range(50000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}",
    "{% set s %}{% for i in range(90000) %}{{ 'abcdefghijklmnopqrstuvwxyz' }}{% endfor %}"
    "{% endset %}",
    "{{ 'a'|center(10**9) }}",
    "{{ 'ab'|replace('', 'x' * 600000) }}",
    "{{ range(10)|join('x' * 900000) }}",
    "{{ 'x'|indent(10**9) }}",
    "{{ [1]|batch(10**9, 0)|list }}",
    "{{ range(3)|slice(10**9)|list }}",
    "{{ '%*s'|format(10**9, 'x') }}",
    "{{ 'x'|wordwrap(1, wrapstring='y' * 900000) }}",
    "{{ 'x'.ljust(10**9) }}",
    "{{ ('x'|tojson).center(10**9) }}",
    "{{ 'x'.zfill(10**10) }}",
    "{{ ('\\t' * 1000).expandtabs(10**6) }}",
    "{{ lipsum(10**6) }}",
    "{{ 'x'|tojson(10**6) }}",
    "{{ 'x'|json(indent=10**6) }}",
]


@pytest.mark.parametrize("bomb", RESOURCE_BOMBS)
def test_resource_bombs_fail_fast_with_security_error(bomb: str) -> None:
    with pytest.raises(TemplateSecurityError):
        PromptTemplate(bomb).render()


def test_huge_range_error_explains_the_limit() -> None:
    with pytest.raises(TemplateSecurityError, match="max_iterations"):
        PromptTemplate("{% for i in range(10**9) %}{% endfor %}").render()


def test_output_limit_is_configurable() -> None:
    source = "{{ 'x' * 2000 }}"
    assert len(PromptTemplate(source).render()) == 2000
    with pytest.raises(TemplateSecurityError, match="max_output_chars"):
        PromptTemplate(source, limits=RenderLimits(max_output_chars=1000)).render()


def test_iteration_limit_is_configurable() -> None:
    source = "{% for i in range(50) %}.{% endfor %}"
    with pytest.raises(TemplateSecurityError):
        PromptTemplate(source, limits=RenderLimits(max_iterations=10)).render()


def test_large_input_values_are_not_limited_by_the_template_bounds() -> None:
    # Inputs come from the caller; only what the template itself builds is bounded.
    big = "y" * 500_000
    assert PrefixPrompt("").render(input=big) == big


def test_include_within_the_search_path_works(write_prompt, tmp_path: Path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "greeting.jinja").write_text("Hello {{ who }}")
    path = write_prompt("name: t", '{% include "parts/greeting.jinja" %}!')
    assert load_prompt(path).render(who="Ada") == "Hello Ada!"


def test_include_of_a_symlink_out_of_the_search_path_is_refused(write_prompt, tmp_path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}_outside.jinja"
    outside.write_text("secret")
    os.symlink(outside, tmp_path / "link.jinja")
    path = write_prompt("name: t", '{% include "link.jinja" %}')
    with pytest.raises(TemplateSecurityError, match="outside the search path"):
        load_prompt(path).render()


def test_extends_of_a_symlinked_folder_out_of_the_search_path_is_refused(
    write_prompt, tmp_path
) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}_dir"
    outside.mkdir()
    (outside / "layout.jinja").write_text("{% block query %}{% endblock %}")
    os.symlink(outside, tmp_path / "shared")
    path = write_prompt("name: t", '{% extends "shared/layout.jinja" %}')
    with pytest.raises(TemplateSecurityError):
        load_prompt(path)


def test_dynamic_include_name_from_an_input_is_still_checked(write_prompt) -> None:
    path = write_prompt("name: t", "{% include name %}")
    with pytest.raises(TemplateSecurityError, match=r"\.\."):
        load_prompt(path).render(name="../../etc/passwd.txt")


def test_a_template_including_itself_fails_as_a_security_error(write_prompt, tmp_path) -> None:
    (tmp_path / "loop.jinja").write_text('{% include "loop.jinja" %}')
    path = write_prompt("name: t", '{% include "loop.jinja" %}')
    with pytest.raises(TemplateSecurityError):
        load_prompt(path).render()


GROWING_FILTERS = ["forceescape", "urlencode", "pprint", "tojson", "list"]


@pytest.mark.parametrize("name", GROWING_FILTERS)
def test_a_filter_repeated_on_its_own_output_cannot_grow_past_the_limit(name: str) -> None:
    source = (
        "{% set ns = namespace(s='&%\"' * 30000) %}{% for i in range(200) %}"
        "{% set ns.s = ns.s|" + name + " %}{% if ns.s is not string %}"
        "{% set ns.s = ns.s|string %}{% endif %}{% endfor %}"
    )
    with pytest.raises(TemplateSecurityError, match="max_output_chars"):
        PromptTemplate(source).render()


SHARED_STRUCTURES = [
    "{% set ns.s = dict(a=ns.s, b=ns.s) %}",
    "{% set ns.s = namespace(a=ns.s, b=ns.s) %}",
    "{% set n = namespace() %}{% set n.a = ns.s %}{% set n.b = ns.s %}{% set ns.s = n %}",
    "{% set ns.s = ns.s|batch(2, ns.s)|list %}",
]


@pytest.mark.parametrize("step", SHARED_STRUCTURES)
def test_calls_and_namespaces_cannot_build_exponentially_shared_values(step: str) -> None:
    source = (
        "{% set ns = namespace(s='x') %}{% for i in range(60) %}" + step + "{% endfor %}{{ ns.s }}"
    )
    limits = RenderLimits(max_output_chars=100_000)
    with pytest.raises(TemplateSecurityError, match="max_output_chars"):
        PromptTemplate(source, limits=limits).render()


REPEATED_WORK = [
    "{{ s|upper|length }}",
    "{{ s.count('y') }}",
    "{{ 'y' in s }}",
    "{{ 'y' is in s }}",
    "{{ s[1:]|length }}",
    "{{ s == t }}",
    "{{ (s ~ i)|length }}",
    "{% set c %}{{ s }}{% endset %}",
    "{{ (l|sort)|length }}",
    "{{ -1 in l }}",
]


@pytest.mark.parametrize("body", REPEATED_WORK)
def test_work_repeated_on_a_large_value_is_bounded(body: str) -> None:
    source = (
        "{% set s = 'x' * 900000 %}{% set t = 'x' * 900000 %}{% set l = range(90000)|list %}"
        "{% for i in range(90000) %}" + body + "{% endfor %}"
    )
    limits = RenderLimits(max_work=5_000_000)  # the default, 20 M, would be slower to reach
    with pytest.raises(TemplateSecurityError, match="max_work"):
        PromptTemplate(source, limits=limits).render()


def test_a_loop_printing_fresh_large_values_stops_counting_at_the_limit() -> None:
    source = "{% set l = range(100)|list %}{% for i in range(5000) %}{{ l }}{% endfor %}"
    template = PromptTemplate(source, limits=RenderLimits(max_output_chars=1000))
    with pytest.raises(TemplateSecurityError, match="max_output_chars") as info:
        template.render()
    # all 5000 copies would be about 2,000,000 characters: the count stopped long before
    counted = int(info.value.message.split(" would be ")[1].split()[0].replace(",", ""))
    assert counted < 100_000
