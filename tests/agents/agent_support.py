"""Shared helpers of the agent tests (a plain module: conftest modules are not importable).

``scripted_openai_server`` lives with the backend tests; it is loaded here by path, so these
tests do not depend on which test directories pytest happened to put on ``sys.path``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from promptcraft.agents import action_line as action  # noqa: F401 (the tests import it here)

TESTS = Path(__file__).resolve().parents[1]
REPO_ROOT = TESTS.parent
BUNDLED_MODEL = REPO_ROOT / "models" / "pc-tiny"


def scripted_server_module() -> ModuleType:
    """tests/backends/scripted_openai_server.py, imported once."""
    name = "scripted_openai_server"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / "backends" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
