"""Fixtures of the decoder tests (helpers live in support/reference_models.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from support.reference_models import Reference, build_reference, make_byte_tokenizer

from promptcraft.tokenizers.tokenizer import Tokenizer


@pytest.fixture(scope="session")
def byte_tokenizer() -> Tokenizer:
    return make_byte_tokenizer()


@pytest.fixture(scope="session")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Reference]:
    """``reference(family)``: a transformers model and our load of it, built once per session."""
    built: dict[str, Reference] = {}

    def get(family: str) -> Reference:
        if family not in built:
            built[family] = build_reference(family, tmp_path_factory.mktemp(f"hf-{family}"))
        return built[family]

    return get
