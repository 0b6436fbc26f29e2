"""The package as a whole: import cost, public names, packaging."""

from __future__ import annotations

import subprocess
import sys

import promptcraft as pc

# The contract of design.md that exists so far; each later layer adds its names.
CONTRACT_NAMES = [
    "load_prompt",
    "PromptLibrary",
    "PromptTemplate",
    "PrefixPrompt",
    "FewShotPrompt",
    "HybridPrompt",
    "ReversePrompt",
    "Message",
    "PromptError",
    "TemplateSyntaxError",
    "MissingInputError",
    "InputValidationError",
    "TemplateSecurityError",
    "Tokenizer",
    "load_backend",
    "Backend",
    "LocalBackend",
    "Completion",
    "Chunk",
    "GenerationParams",
    "load_model",
]


def _run_python(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return out.stdout.strip()


def test_import_promptcraft_does_not_import_torch() -> None:
    code = "import sys, promptcraft; print('torch' in sys.modules)"
    assert _run_python(code) == "False"


def test_rendering_a_prompt_does_not_import_torch() -> None:
    code = (
        "import sys, promptcraft as pc\n"
        "t = pc.FewShotPrompt(examples=[{'input': 'a', 'output': 'b'}])\n"
        "t.render(input='c')\n"
        "pc.PromptLibrary().names()\n"
        "print('torch' in sys.modules)"
    )
    assert _run_python(code) == "False"


def test_every_contract_name_is_exported_and_documented() -> None:
    for name in CONTRACT_NAMES:
        obj = getattr(pc, name)
        assert obj.__doc__, f"pc.{name} has no docstring"


def test_unknown_attribute_raises_attribute_error() -> None:
    try:
        pc.does_not_exist  # noqa: B018
    except AttributeError as exc:
        assert "does_not_exist" in str(exc)
    else:
        raise AssertionError("expected AttributeError")


def test_package_ships_py_typed(repo_root) -> None:
    assert (repo_root / "promptcraft" / "py.typed").is_file()
