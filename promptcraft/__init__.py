"""promptcraft: prompt engineering and simple agents.

The public API is re-exported here lazily (PEP 562), so ``import promptcraft`` and
template rendering never pay torch's start-up cost: a name's module is imported on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .lazy_exports import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS: dict[str, str] = {
    "PromptcraftError": "promptcraft.errors",
    "PromptError": "promptcraft.errors",
    "TemplateSyntaxError": "promptcraft.errors",
    "TemplateNotFoundError": "promptcraft.errors",
    "TemplateRenderError": "promptcraft.errors",
    "MissingInputError": "promptcraft.errors",
    "InputValidationError": "promptcraft.errors",
    "TemplateSecurityError": "promptcraft.errors",
    "TokenBudgetError": "promptcraft.errors",
    "TokenizerError": "promptcraft.errors",
    "ModelLoadError": "promptcraft.errors",
    "BackendError": "promptcraft.errors",
    "ContextLengthError": "promptcraft.errors",
    "InvalidRequestError": "promptcraft.errors",
    "AuthenticationError": "promptcraft.errors",
    "RateLimitError": "promptcraft.errors",
    "BadRequestError": "promptcraft.errors",
    "ContextWindowExceededError": "promptcraft.errors",
    "BackendUnavailableError": "promptcraft.errors",
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
    "InputSpec": "promptcraft.prompts.inputs",
    "SelectSpec": "promptcraft.prompts.specs",
    "LayoutSpec": "promptcraft.prompts.specs",
    "OutputSpec": "promptcraft.prompts.specs",
    "GenerationDefaults": "promptcraft.prompts.specs",
    "RenderLimits": "promptcraft.prompts.guards",
    "ExampleSelector": "promptcraft.prompts.selection",
    "AllExamples": "promptcraft.prompts.selection",
    "FirstK": "promptcraft.prompts.selection",
    "RandomK": "promptcraft.prompts.selection",
    "SimilarK": "promptcraft.prompts.selection",
    "dedupe_examples": "promptcraft.prompts.selection",
    "select_examples_within_budget": "promptcraft.prompts.selection",
    "BM25": "promptcraft.prompts.similarity",
    "EmbeddingSimilarity": "promptcraft.prompts.similarity",
    "SimilarityScorer": "promptcraft.prompts.similarity",
    "normalize_text": "promptcraft.prompts.normalize",
    "Tokenizer": "promptcraft.tokenizers.tokenizer",
    "StreamDecoder": "promptcraft.tokenizers.tokenizer",
    "get_tokenizer": "promptcraft.tokenizers.tokenizer",
    "resolve_tokenizer": "promptcraft.tokenizers.tokenizer",
    "load_tokenizer_dir": "promptcraft.tokenizers.files",
    "load_tiktoken_file": "promptcraft.tokenizers.files",
    "load_hf_tokenizer_json": "promptcraft.tokenizers.files",
    "load_vocab_merges": "promptcraft.tokenizers.files",
    "load_gguf_tokenizer": "promptcraft.tokenizers.gguf_vocab",
    "local_models": "promptcraft.model_catalog",
    "LocalModelInfo": "promptcraft.model_catalog",
    "save_tiktoken": "promptcraft.tokenizers.writers",
    "save_hf_tokenizer": "promptcraft.tokenizers.writers",
    "train_bpe": "promptcraft.tokenizers.bpe_training",
    "GenerationParams": "promptcraft.params",
    "Usage": "promptcraft.generation_types",
    "TokenLogprob": "promptcraft.generation_types",
    "TopLogprob": "promptcraft.generation_types",
    "FinishReason": "promptcraft.generation_types",
    "Backend": "promptcraft.backends.base",
    "LocalBackend": "promptcraft.backends.local",
    "OpenAIBackend": "promptcraft.backends.openai",
    "RetryPolicy": "promptcraft.backends.retry",
    "Completion": "promptcraft.backends.types",
    "Chunk": "promptcraft.backends.types",
    "Capabilities": "promptcraft.backends.types",
    "Request": "promptcraft.backends.types",
    "ToolCall": "promptcraft.prompts.messages",
    "load_backend": "promptcraft.backends.spec",
    "parse_backend_spec": "promptcraft.backends.spec",
    "BackendSpec": "promptcraft.backends.spec",
    "ChatTemplate": "promptcraft.backends.chat_template",
    "load_model": "promptcraft.nn.loaders",
    "save_model": "promptcraft.nn.loaders",
    "tool": "promptcraft.agents.tools",
    "Tool": "promptcraft.agents.tools",
    "ToolArgumentsError": "promptcraft.agents.tools",
    "ToolTimeoutError": "promptcraft.agents.tools",
    "Agent": "promptcraft.agents.agent",
    "AgentResult": "promptcraft.agents.records",
    "AgentStep": "promptcraft.agents.records",
    "AgentEvent": "promptcraft.agents.records",
    "StepStart": "promptcraft.agents.records",
    "ModelText": "promptcraft.agents.records",
    "ToolCallEvent": "promptcraft.agents.records",
    "ToolResultEvent": "promptcraft.agents.records",
    "RetryPrompt": "promptcraft.agents.records",
    "FinalOutput": "promptcraft.agents.records",
    "calculator": "promptcraft.agents.builtin_tools",
    "lookup": "promptcraft.agents.builtin_tools",
    "today": "promptcraft.agents.builtin_tools",
    "AgentError": "promptcraft.errors",
    "ToolError": "promptcraft.errors",
    "ScriptedBackend": "promptcraft.backends.testing",
    "FunctionBackend": "promptcraft.backends.testing",
    "evaluate": "promptcraft.evaluation.run",
    "EvalReport": "promptcraft.evaluation.report",
    "VariantResult": "promptcraft.evaluation.report",
    "ItemResult": "promptcraft.evaluation.report",
    "Selection": "promptcraft.evaluation.variants",
    "Metric": "promptcraft.evaluation.metrics",
    "MetricResult": "promptcraft.evaluation.metrics",
    "ResponseCache": "promptcraft.evaluation.response_cache",
    "load_dataset": "promptcraft.evaluation.dataset",
    "EvaluationError": "promptcraft.errors",
    "DatasetError": "promptcraft.errors",
    "tune": "promptcraft.tuning.api",
    "run_tuning": "promptcraft.tuning.api",
    "TuningReport": "promptcraft.tuning.api",
    "TuningConfig": "promptcraft.tuning.trainer",
    "load_adapter": "promptcraft.tuning.adapter",
    "AdapterInfo": "promptcraft.tuning.adapter",
    "TuningConfigError": "promptcraft.errors",
    "TuningDataError": "promptcraft.errors",
    "AdapterError": "promptcraft.errors",
    "generate_structured": "promptcraft.structured.generate",
    "agenerate_structured": "promptcraft.structured.generate",
    "generate_structured_result": "promptcraft.structured.generate",
    "agenerate_structured_result": "promptcraft.structured.generate",
    "StructuredResult": "promptcraft.structured.generate",
    "choices": "promptcraft.structured.constraints",
    "regex": "promptcraft.structured.constraints",
    "json_schema": "promptcraft.structured.constraints",
    "Constraint": "promptcraft.structured.constraints",
    "ConstraintError": "promptcraft.errors",
    "StructuredOutputError": "promptcraft.errors",
}

__all__ = ["__version__", *sorted(_EXPORTS)]


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from .agents.agent import Agent
    from .agents.builtin_tools import calculator, lookup, today
    from .agents.records import (
        AgentEvent,
        AgentResult,
        AgentStep,
        FinalOutput,
        ModelText,
        RetryPrompt,
        StepStart,
        ToolCallEvent,
        ToolResultEvent,
    )
    from .agents.tools import Tool, ToolArgumentsError, ToolTimeoutError, tool
    from .backends.base import Backend
    from .backends.chat_template import ChatTemplate
    from .backends.local import LocalBackend
    from .backends.openai import OpenAIBackend
    from .backends.retry import RetryPolicy
    from .backends.spec import BackendSpec, load_backend, parse_backend_spec
    from .backends.testing import FunctionBackend, ScriptedBackend
    from .backends.types import Capabilities, Chunk, Completion, Request, ToolCall
    from .errors import (
        AdapterError,
        AgentError,
        AuthenticationError,
        BackendError,
        BackendUnavailableError,
        BadRequestError,
        ConstraintError,
        ContextLengthError,
        ContextWindowExceededError,
        DatasetError,
        EvaluationError,
        InputValidationError,
        InvalidRequestError,
        MissingInputError,
        ModelLoadError,
        PromptcraftError,
        PromptError,
        RateLimitError,
        StructuredOutputError,
        TemplateNotFoundError,
        TemplateRenderError,
        TemplateSecurityError,
        TemplateSyntaxError,
        TokenBudgetError,
        TokenizerError,
        ToolError,
        TuningConfigError,
        TuningDataError,
    )
    from .evaluation.dataset import load_dataset
    from .evaluation.metrics import Metric, MetricResult
    from .evaluation.report import EvalReport, ItemResult, VariantResult
    from .evaluation.response_cache import ResponseCache
    from .evaluation.run import evaluate
    from .evaluation.variants import Selection
    from .generation_types import FinishReason, TokenLogprob, TopLogprob, Usage
    from .model_catalog import LocalModelInfo, local_models
    from .nn.loaders import load_model, save_model
    from .params import GenerationParams
    from .prompts.guards import RenderLimits
    from .prompts.inputs import InputSpec
    from .prompts.kinds import ChatPrompt, FewShotPrompt, HybridPrompt, PrefixPrompt, ReversePrompt
    from .prompts.library import PromptLibrary
    from .prompts.lint import LintProblem, lint_paths
    from .prompts.messages import Message
    from .prompts.normalize import normalize_text
    from .prompts.promptfile import load_prompt
    from .prompts.selection import (
        AllExamples,
        ExampleSelector,
        FirstK,
        RandomK,
        SimilarK,
        dedupe_examples,
        select_examples_within_budget,
    )
    from .prompts.similarity import BM25, EmbeddingSimilarity, SimilarityScorer
    from .prompts.specs import GenerationDefaults, LayoutSpec, OutputSpec, SelectSpec
    from .prompts.template import PromptTemplate, RenderedPrompt
    from .structured.constraints import Constraint, choices, json_schema, regex
    from .structured.generate import (
        StructuredResult,
        agenerate_structured,
        agenerate_structured_result,
        generate_structured,
        generate_structured_result,
    )
    from .tokenizers.bpe_training import train_bpe
    from .tokenizers.files import (
        load_hf_tokenizer_json,
        load_tiktoken_file,
        load_tokenizer_dir,
        load_vocab_merges,
    )
    from .tokenizers.gguf_vocab import load_gguf_tokenizer
    from .tokenizers.tokenizer import StreamDecoder, Tokenizer, get_tokenizer, resolve_tokenizer
    from .tokenizers.writers import save_hf_tokenizer, save_tiktoken
    from .tuning.adapter import AdapterInfo, load_adapter
    from .tuning.api import TuningReport, run_tuning, tune
    from .tuning.trainer import TuningConfig
