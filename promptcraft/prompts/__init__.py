"""The prompt engine: templates, the five kinds, example selection, chat messages, lint.

Names are imported lazily (PEP 562), so ``import promptcraft.prompts`` costs almost nothing
and never imports torch. See ``templates/README.md`` for the template language.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy_exports import lazy_exports

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # templates and kinds
    "PromptTemplate": "promptcraft.prompts.template",
    "RenderedPrompt": "promptcraft.prompts.template",
    "PrefixPrompt": "promptcraft.prompts.kinds",
    "FewShotPrompt": "promptcraft.prompts.kinds",
    "HybridPrompt": "promptcraft.prompts.kinds",
    "ReversePrompt": "promptcraft.prompts.kinds",
    "ChatPrompt": "promptcraft.prompts.kinds",
    "Message": "promptcraft.prompts.messages",
    "load_prompt": "promptcraft.prompts.promptfile",
    "PromptLibrary": "promptcraft.prompts.library",
    "lint_paths": "promptcraft.prompts.lint",
    "LintProblem": "promptcraft.prompts.lint",
    # settings
    "InputSpec": "promptcraft.prompts.inputs",
    "LayoutSpec": "promptcraft.prompts.specs",
    "SelectSpec": "promptcraft.prompts.specs",
    "GenerationDefaults": "promptcraft.prompts.specs",
    "OutputSpec": "promptcraft.prompts.specs",
    "RenderLimits": "promptcraft.prompts.guards",
    # examples
    "ExampleSelector": "promptcraft.prompts.selection",
    "AllExamples": "promptcraft.prompts.selection",
    "FirstK": "promptcraft.prompts.selection",
    "RandomK": "promptcraft.prompts.selection",
    "SimilarK": "promptcraft.prompts.selection",
    "dedupe_examples": "promptcraft.prompts.selection",
    "select_examples_within_budget": "promptcraft.prompts.selection",
    "SimilarityScorer": "promptcraft.prompts.similarity",
    "BM25": "promptcraft.prompts.similarity",
    "EmbeddingSimilarity": "promptcraft.prompts.similarity",
    # normalization
    "normalize_text": "promptcraft.prompts.normalize",
    "NORMALIZE_STEPS": "promptcraft.prompts.normalize",
    # errors (defined in promptcraft.errors)
    "PromptError": "promptcraft.errors",
    "TemplateSyntaxError": "promptcraft.errors",
    "TemplateNotFoundError": "promptcraft.errors",
    "TemplateRenderError": "promptcraft.errors",
    "MissingInputError": "promptcraft.errors",
    "InputValidationError": "promptcraft.errors",
    "TemplateSecurityError": "promptcraft.errors",
    "TokenBudgetError": "promptcraft.errors",
}

__all__ = [
    "BM25",
    "NORMALIZE_STEPS",
    "AllExamples",
    "ChatPrompt",
    "EmbeddingSimilarity",
    "ExampleSelector",
    "FewShotPrompt",
    "FirstK",
    "GenerationDefaults",
    "HybridPrompt",
    "InputSpec",
    "InputValidationError",
    "LayoutSpec",
    "LintProblem",
    "Message",
    "MissingInputError",
    "OutputSpec",
    "PrefixPrompt",
    "PromptError",
    "PromptLibrary",
    "PromptTemplate",
    "RandomK",
    "RenderLimits",
    "RenderedPrompt",
    "ReversePrompt",
    "SelectSpec",
    "SimilarK",
    "SimilarityScorer",
    "TemplateNotFoundError",
    "TemplateRenderError",
    "TemplateSecurityError",
    "TemplateSyntaxError",
    "TokenBudgetError",
    "dedupe_examples",
    "lint_paths",
    "load_prompt",
    "normalize_text",
    "select_examples_within_budget",
]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from ..errors import (
        InputValidationError,
        MissingInputError,
        PromptError,
        TemplateNotFoundError,
        TemplateRenderError,
        TemplateSecurityError,
        TemplateSyntaxError,
        TokenBudgetError,
    )
    from .guards import RenderLimits
    from .inputs import InputSpec
    from .kinds import ChatPrompt, FewShotPrompt, HybridPrompt, PrefixPrompt, ReversePrompt
    from .library import PromptLibrary
    from .lint import LintProblem, lint_paths
    from .messages import Message
    from .normalize import NORMALIZE_STEPS, normalize_text
    from .promptfile import load_prompt
    from .selection import (
        AllExamples,
        ExampleSelector,
        FirstK,
        RandomK,
        SimilarK,
        dedupe_examples,
        select_examples_within_budget,
    )
    from .similarity import BM25, EmbeddingSimilarity, SimilarityScorer
    from .specs import GenerationDefaults, LayoutSpec, OutputSpec, SelectSpec
    from .template import PromptTemplate, RenderedPrompt
