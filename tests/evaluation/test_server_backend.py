"""An evaluation over HTTP (``promptcraft serve``) gives what the local model gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from support.serving import model_dir_to_serve, running_server

import promptcraft as pc
from promptcraft.evaluation import evaluate

pytestmark = pytest.mark.slow

ROWS = [{"input": text, "expected": str(len(text.split()))} for text in
        ("cat dog", "sun moon star", "red", "a b c d", "fig jam pie")]  # fmt: skip


def test_a_served_model_scores_like_the_local_one(tmp_path: Path, local_backend: Any) -> None:
    template = pc.FewShotPrompt(
        [{"input": "cat dog", "output": "2"}, {"input": "a b c", "output": "3"}],
        defaults={"max_tokens": 4, "stop": ["\n"]},
    )
    local = evaluate(template, data=ROWS, backend=local_backend, progress=False)
    with running_server(model_dir_to_serve(tmp_path), log_path=tmp_path / "server.log") as server:
        remote = pc.load_backend(server.base_url, model=server.model)
        served = evaluate(template, data=ROWS, backend=remote, concurrency=3, progress=False)
    assert [i.output for i in served.items] == [i.output for i in local.items]
