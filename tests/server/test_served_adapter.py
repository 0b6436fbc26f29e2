"""``promptcraft serve --adapter``: the served model answers to the base model's name (as the
README's clients call it), to the adapter's own name, and to the two joined."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from support.serving import running_server
from support.tuning import quick_tune

from promptcraft.backends.local import LocalBackend
from promptcraft.prompts.kinds import PrefixPrompt

pytestmark = pytest.mark.timeout(300)


def test_a_served_adapter_answers_to_the_base_name_and_to_its_own(tmp_path: Path) -> None:
    base = LocalBackend.load("pc-tiny")
    assert base.tokenizer is not None
    template = PrefixPrompt(input_label="Item", output_label="Tag", name="label")
    adapter = quick_tune("prompt", base.decoder, base.tokenizer, template, tmp_path / "label")
    args = ["--adapter", str(adapter)]
    with running_server("pc-tiny", log_path=tmp_path / "serve.log", args=args) as server:
        listed = httpx.get(f"{server.base_url}/models", timeout=30).json()
        assert [card["id"] for card in listed["data"]] == ["pc-tiny+label", "pc-tiny", "label"]
        for name in ("pc-tiny", "label", "pc-tiny+label"):
            body = {"model": name, "prompt": "Item: cat\nTag:", "max_tokens": 2}
            reply = httpx.post(f"{server.base_url}/completions", json=body, timeout=60)
            assert reply.status_code == 200, reply.text
        other = {"model": "smollm2", "prompt": "hi", "max_tokens": 1}
        refused = httpx.post(f"{server.base_url}/completions", json=other, timeout=60)
        assert refused.status_code == 404
        assert "'pc-tiny+label' or 'pc-tiny' or 'label'" in refused.json()["error"]["message"]
