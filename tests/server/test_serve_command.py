"""The ``promptcraft serve`` command itself, without a running server."""

from __future__ import annotations

import importlib.util
import socket
import subprocess
import sys

import pytest

from promptcraft.cli import main
from promptcraft.errors import PromptcraftError
from promptcraft.server import run


def test_serve_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    for option in ("--model", "--host", "--port", "--api-key", "--max-batch", "--max-queue"):
        assert option in out


def test_missing_serve_extra_is_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        run.importlib.util, "find_spec", lambda name: None if name == "uvicorn" else real(name)
    )
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'promptcraft[serve]'" in err
    assert "uvicorn" in err


def test_a_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PromptcraftError, match=f"cannot listen on 127.0.0.1:{port}"):
            run.bind_socket("127.0.0.1", port)


def test_the_cli_and_server_package_import_no_web_framework() -> None:
    code = (
        "import sys, promptcraft, promptcraft.cli, promptcraft.server\n"
        "print(sorted(m for m in ('starlette', 'uvicorn', 'torch') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("option", "value", "expected"),
    [
        ("--max-batch", "0", "at least 1"),
        ("--max-queue", "-1", "at least 0"),
        ("--prefill-chunk", "x", "whole number"),
    ],
)
def test_bad_batching_options_fail_before_the_model_loads(
    option: str, value: str, expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["serve", option, value])
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert option in err and expected in err
    assert "Traceback" not in err
