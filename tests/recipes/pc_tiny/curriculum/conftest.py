"""Shared samples for the curriculum tests (generated once per session: compiling each
layout's template is the slow part)."""

from __future__ import annotations

import pytest

from recipes.pc_tiny import Sample, generate_samples


@pytest.fixture(scope="session")
def train_samples() -> list[Sample]:
    return list(generate_samples(1500, seed=11, split="train"))


@pytest.fixture(scope="session")
def heldout_samples() -> list[Sample]:
    return list(generate_samples(500, seed=11, split="heldout"))
