from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
import torch

from promptcraft.errors import EvaluationError
from promptcraft.evaluation.response_cache import (
    CachedCompletion,
    ResponseCache,
    request_key,
)
from promptcraft.types import Usage

RECORD = CachedCompletion(
    text=" 4", finish_reason="stop", usage=Usage(prompt_tokens=3, completion_tokens=1), seconds=0.5
)


def test_a_stored_completion_survives_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with ResponseCache(path) as cache:
        cache.put("k", "backend", RECORD)
    with ResponseCache(path) as cache:
        assert cache.get("k") == RECORD


def test_an_unknown_key_is_a_miss() -> None:
    with ResponseCache(":memory:") as cache:
        assert cache.get("nope") is None


def test_key_changes_with_prompt_params_and_backend() -> None:
    base = request_key("b", "p", {"temperature": 0.0})
    assert (
        len(
            {
                base,
                request_key("b2", "p", {"temperature": 0.0}),
                request_key("b", "p2", {"temperature": 0.0}),
                request_key("b", "p", {"temperature": 0.5}),
            }
        )
        == 4
    )


def test_key_of_equal_params_ignores_their_order() -> None:
    assert request_key("b", "p", {"a": 1, "b": 2}) == request_key("b", "p", {"b": 2, "a": 1})


def test_a_local_backends_identity_changes_when_the_weights_change(
    tiny_model, bundled_tokenizer
) -> None:
    from promptcraft.backends.local import LocalBackend

    backend = LocalBackend(tiny_model(), bundled_tokenizer)
    before = backend.cache_identity()
    with torch.no_grad():
        backend.decoder.norm.weight[0] += 1.0
    assert backend.cache_identity() != before


def test_a_local_backends_identity_is_stable_for_the_same_weights(
    tiny_model, bundled_tokenizer
) -> None:
    from promptcraft.backends.local import LocalBackend

    first = LocalBackend(tiny_model(), bundled_tokenizer).cache_identity()
    assert LocalBackend(tiny_model(), bundled_tokenizer).cache_identity() == first


def test_a_servers_identity_names_its_url() -> None:
    from promptcraft.backends.openai import OpenAIBackend

    here = OpenAIBackend("m", base_url="http://127.0.0.1:1/v1", api_key="x")
    there = OpenAIBackend("m", base_url="http://127.0.0.1:2/v1", api_key="x")
    assert here.cache_identity() != there.cache_identity()


def test_another_programs_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "app.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(EvaluationError, match="is a SQLite database of something else"):
        ResponseCache(path)
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    assert tables == {"users"}


def test_a_cache_of_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    ResponseCache(path).close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 99")
    with pytest.raises(EvaluationError, match="of another promptcraft version"):
        ResponseCache(path)


def test_a_cache_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match="is a folder"):
        ResponseCache(tmp_path)


def test_a_record_this_version_cannot_read_is_a_miss(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite"
    with ResponseCache(path) as cache:
        cache.put("k", "backend", RECORD)
    with sqlite3.connect(path) as db:
        db.execute('UPDATE completions SET record = \'{"text": "4", "old": true}\'')
    with ResponseCache(path) as cache:
        assert cache.get("k") is None


def test_a_local_backends_identity_changes_with_the_adapter_prefix(
    tiny_model, bundled_tokenizer
) -> None:
    from promptcraft.backends.local import LocalBackend
    from promptcraft.tuning.methods import kv_prefix_of_embeddings

    backend = LocalBackend(tiny_model(), bundled_tokenizer)
    plain = backend.cache_identity()
    identities = set()
    for seed in (1, 2):  # two adapters, served under the same model name
        torch.manual_seed(seed)
        backend.generator.set_kv_prefix(
            kv_prefix_of_embeddings(backend.decoder, torch.randn(2, backend.decoder.config.dim))
        )
        identities.add(backend.cache_identity())
    assert len(identities | {plain}) == 3
