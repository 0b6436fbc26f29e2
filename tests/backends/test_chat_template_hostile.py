"""A model file's chat template is untrusted input: it renders in the sandbox of `.prompt`
files, with the same bounds, and an escape attempt is refused naming the file.

llama-cpp-python's CVE-2024-34359 rendered a GGUF's template without a sandbox; the first
payload below is the one published for it.
"""

from __future__ import annotations

import pytest

from promptcraft.backends.chat_template import ChatTemplate
from promptcraft.errors import TemplateSecurityError, TemplateSyntaxError
from promptcraft.types import Message

ORIGIN = "downloaded.gguf (tokenizer.chat_template)"
HELLO = [Message(role="user", content="hello")]

ESCAPES = {
    "cve_2024_34359": (
        "{% for x in ().__class__.__base__.__subclasses__() %}"
        "{% if 'warning' in x.__name__ %}{{ x()._module.__builtins__['__import__']('os')"
        ".popen('touch /tmp/pwned').read() }}{% endif %}{% endfor %}"
    ),
    "globals_of_a_function": "{{ raise_exception.__globals__ }}",
    "string_format": "{{ '{0.__class__}'.format(messages) }}",
    "mro_of_a_message": "{{ messages[0].__class__.__mro__ }}",
    "lipsum_globals": "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "cycler_init": "{{ cycler.__init__.__globals__.os }}",
}

BLOWUPS = {
    "huge_loop": "{% for i in range(10**9) %}x{% endfor %}",
    "huge_string": "{{ 'a' * 10**9 }}",
    "huge_integer": "{{ 10 ** (10 ** 10) }}",
    "nested_loops": (
        "{% for a in range(10**4) %}{% for b in range(10**4) %}{% endfor %}{% endfor %}"
    ),
    "repeated_work": "{% set s = 'a' * 900000 %}{% for i in range(100000) %}{{ s|upper|length }}"
    "{% endfor %}",
}


@pytest.mark.parametrize("source", ESCAPES.values(), ids=ESCAPES.keys())
def test_chat_template_escape_is_refused_naming_the_file(source: str) -> None:
    template = ChatTemplate(source, origin=ORIGIN)
    with pytest.raises(TemplateSecurityError) as info:
        template.render(HELLO)
    assert info.value.template == ORIGIN
    assert ORIGIN in str(info.value)


@pytest.mark.parametrize("source", BLOWUPS.values(), ids=BLOWUPS.keys())
def test_chat_template_is_bounded_like_a_prompt_file(source: str) -> None:
    template = ChatTemplate(source, origin=ORIGIN)
    with pytest.raises(TemplateSecurityError, match="RenderLimits") as info:
        template.render(HELLO)
    assert info.value.template == ORIGIN


def test_chat_template_include_reads_no_file() -> None:
    template = ChatTemplate("{% include '/etc/passwd' %}", origin=ORIGIN)
    with pytest.raises(Exception) as info:
        template.render(HELLO)
    assert "root:" not in str(info.value)
    assert ORIGIN in str(info.value)


def test_chat_template_syntax_error_names_the_file_and_line() -> None:
    with pytest.raises(TemplateSyntaxError) as info:
        ChatTemplate("{% for m in messages %}\n{{ m.content }\n{% endfor %}", origin=ORIGIN)
    assert info.value.template == ORIGIN
    assert info.value.line == 2


def test_undefined_names_are_lenient_as_in_transformers() -> None:
    template = ChatTemplate(
        "{% if tools %}TOOLS{% endif %}{{ messages[0].content }}{{ nothing }}", origin=ORIGIN
    )
    assert template.render(HELLO) == "hello"
