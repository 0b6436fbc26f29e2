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


def test_the_public_namespace_holds_only_the_api() -> None:
    import types

    visible = {n for n in dir(pc) if not n.startswith("_")}
    # Submodules appear as attributes once anything imports them, as in every package.
    private = {
        n for n in visible - set(pc.__all__) if not isinstance(getattr(pc, n), types.ModuleType)
    }
    assert private == set(), f"not public API, yet visible on pc: {sorted(private)}"


def test_every_package_stub_is_read_as_python_reads_it(repo_root) -> None:
    """The lazy map comes from each ``__init__.pyi`` (a regex, for import speed): it must
    find exactly the names and modules that the stub's imports name."""
    import ast

    from promptcraft.utils.lazy_exports import _stub_exports

    stubs = sorted((repo_root / "promptcraft").rglob("__init__.pyi"))
    assert stubs
    for stub in stubs:
        package = ".".join(stub.parent.relative_to(repo_root).parts)
        expected = {}
        for node in ast.parse(stub.read_text()).body:
            assert isinstance(node, (ast.ImportFrom, ast.AnnAssign, ast.Expr)), stub
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
                expected.update({a.asname or a.name: module for a in node.names})
        assert _stub_exports(package, stub) == expected, stub


def test_every_stub_name_resolves(repo_root) -> None:
    import importlib

    for stub in sorted((repo_root / "promptcraft").rglob("__init__.pyi")):
        package = importlib.import_module(".".join(stub.parent.relative_to(repo_root).parts))
        for name in package.__all__:
            assert getattr(package, name) is not None, f"{package.__name__}.{name}"
