"""The engine's names on the package itself (``import promptcraft as pc``)."""

from __future__ import annotations

import promptcraft as pc
import promptcraft.prompts as prompts

PUBLIC = [
    "load_prompt",
    "PromptLibrary",
    "PromptTemplate",
    "PrefixPrompt",
    "FewShotPrompt",
    "HybridPrompt",
    "ReversePrompt",
    "ChatPrompt",
    "Message",
    "lint_paths",
    "LintProblem",
    "select_examples_within_budget",
]


def test_promptcraft_exposes_the_engine_names() -> None:
    assert all(getattr(pc, name) is getattr(prompts, name) for name in PUBLIC)


def test_every_engine_export_resolves_and_is_documented() -> None:
    for name in prompts.__all__:
        value = getattr(prompts, name)
        assert value.__doc__ or isinstance(value, tuple), name
