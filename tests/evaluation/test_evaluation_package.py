"""The evaluation package: light to import; ``pc.evaluate`` is its function."""

from __future__ import annotations

import subprocess
import sys

from support.recording_backend import RecordingBackend, last_line_word_count

import promptcraft
import promptcraft.evaluation
from promptcraft.evaluation import EvalReport


def test_importing_the_evaluation_api_does_not_import_torch() -> None:
    code = (
        "import sys, promptcraft.evaluation as e\n"
        "e.evaluate, e.EvalReport, e.parse_metric, e.ResponseCache\n"
        "import promptcraft.evaluation.run, promptcraft.evaluation.chart\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_pc_evaluate_is_the_function_after_importing_the_package() -> None:
    rows = [{"input": "a b", "expected": "2"}]
    template = promptcraft.FewShotPrompt([{"input": "x", "output": "1"}])
    backend = RecordingBackend(last_line_word_count)
    report = promptcraft.evaluate(template, data=rows, backend=backend, progress=False)
    assert isinstance(report, EvalReport)
    assert report.variants[0].score.mean == 1.0
