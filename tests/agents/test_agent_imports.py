"""Agents are light: an agent on a remote backend never loads the local decoder."""

from __future__ import annotations

import subprocess
import sys


def test_agents_and_testing_backends_do_not_import_torch() -> None:
    code = (
        "import sys, promptcraft.agents, promptcraft.backends.testing; "
        "print('torch' in sys.modules, 'recipes.pc_tiny' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "False False"
