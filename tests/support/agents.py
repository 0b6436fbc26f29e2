"""Shared helpers of the agent tests (a plain module: conftest modules are not importable)."""

from __future__ import annotations

from pathlib import Path

from promptcraft.agents import action_line as action  # noqa: F401 (the tests import it here)

REPO_ROOT = Path(__file__).resolve().parents[2]
BUNDLED_MODEL = REPO_ROOT / "models" / "pc-tiny"
