"""A GGUF file's chat template is untrusted input, as the model file itself is: the backend
renders it in the sandbox and refuses, when the model loads, one that tries to escape.

The files are small random models written with gguf's writer (support/gguf_models.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.gguf_models import SMALL, converter_tensors, random_hf_model, write_gguf

from promptcraft.backends import LocalBackend, load_backend
from promptcraft.errors import ModelLoadError
from promptcraft.types import Message

CVE_2024_34359 = (
    "{% for x in ().__class__.__base__.__subclasses__() %}{% if 'warning' in x.__name__ %}"
    "{{ x()._module.__builtins__['__import__']('os').popen('touch /tmp/pwned').read() }}"
    "{% endif %}{% endfor %}"
)


@pytest.fixture(scope="module")
def tiny_llama() -> tuple[object, dict]:
    model = random_hf_model("llama", SMALL, seed=0)
    return model.config, converter_tensors(model, "llama")


def _gguf_with_template(tmp_path: Path, tiny_llama: tuple[object, dict], template: str) -> Path:
    config, tensors = tiny_llama
    return write_gguf(
        tmp_path / "model.gguf",
        "llama",
        config,
        tensors,
        metadata={"tokenizer.chat_template": template},
    )


def test_a_gguf_whose_chat_template_escapes_the_sandbox_is_refused_at_load(
    tmp_path: Path, tiny_llama: tuple[object, dict]
) -> None:
    path = _gguf_with_template(tmp_path, tiny_llama, CVE_2024_34359)
    with pytest.raises(ModelLoadError, match="chat template is refused") as info:
        load_backend(f"local:{path}")
    assert f"{path} (tokenizer.chat_template)" in str(info.value)
    assert "unsafe" in str(info.value)
    assert not Path("/tmp/pwned").exists()


def test_a_gguf_whose_chat_template_does_not_parse_names_the_file_and_line(
    tmp_path: Path, tiny_llama: tuple[object, dict]
) -> None:
    path = _gguf_with_template(tmp_path, tiny_llama, "{% for m in messages %}\n{{ m.content }")
    with pytest.raises(ModelLoadError, match=r"tokenizer\.chat_template\):2"):
        load_backend(f"local:{path}")


def test_a_gguf_chat_template_that_rejects_a_conversation_still_loads(
    tmp_path: Path, tiny_llama: tuple[object, dict]
) -> None:
    template = (
        "{% if messages[0]['role'] != 'system' %}{{ raise_exception('system first') }}"
        "{% endif %}{% for m in messages %}{{ m['content'] }}{% endfor %}"
    )
    backend = load_backend(f"local:{_gguf_with_template(tmp_path, tiny_llama, template)}")
    assert isinstance(backend, LocalBackend)
    messages = [Message(role="system", content="Be brief."), Message(role="user", content="Hi")]
    assert backend.chat_template.render(messages) == "Be brief.Hi"
