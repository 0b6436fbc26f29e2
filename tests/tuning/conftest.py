"""Fixtures of the tuning tests (the tiny random decoder for the mechanics and the bundled
tokenizer are the suite's, in tests/conftest.py): an easy task's template, a fixed label per
colour word not shown in the prompt."""

from __future__ import annotations

import pytest
import torch

from promptcraft.prompts.kinds import PrefixPrompt


@pytest.fixture(autouse=True)
def _two_threads() -> None:
    torch.set_num_threads(1)  # the machine is shared: more threads than free cores spin-wait


@pytest.fixture
def label_template() -> PrefixPrompt:
    return PrefixPrompt(input_label="Item", output_label="Tag", name="label")
