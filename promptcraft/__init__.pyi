"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from .agents.agent import Agent as Agent
from .agents.builtin_tools import calculator as calculator, lookup as lookup, today as today
from .agents.records import (
    AgentEvent as AgentEvent,
    AgentResult as AgentResult,
    AgentStep as AgentStep,
    FinalOutput as FinalOutput,
    ModelText as ModelText,
    RetryPrompt as RetryPrompt,
    StepStart as StepStart,
    ToolCallEvent as ToolCallEvent,
    ToolResultEvent as ToolResultEvent,
)
from .agents.tools import (
    Tool as Tool,
    ToolArgumentsError as ToolArgumentsError,
    ToolTimeoutError as ToolTimeoutError,
    tool as tool,
)
from .backends.base import Backend as Backend
from .backends.chat_template import ChatTemplate as ChatTemplate
from .backends.local import LocalBackend as LocalBackend
from .backends.openai import OpenAIBackend as OpenAIBackend
from .backends.retry import RetryPolicy as RetryPolicy
from .backends.spec import load_backend as load_backend
from .backends.testing import FunctionBackend as FunctionBackend, ScriptedBackend as ScriptedBackend
from .constraints.constraints import (
    Constraint as Constraint,
    choices as choices,
    json_schema as json_schema,
    regex as regex,
)
from .errors import (
    AdapterError as AdapterError,
    AgentError as AgentError,
    AuthenticationError as AuthenticationError,
    BackendError as BackendError,
    BackendUnavailableError as BackendUnavailableError,
    BadRequestError as BadRequestError,
    ConstraintError as ConstraintError,
    ContextLengthError as ContextLengthError,
    ContextWindowExceededError as ContextWindowExceededError,
    DatasetError as DatasetError,
    DeviceError as DeviceError,
    EvaluationError as EvaluationError,
    InputValidationError as InputValidationError,
    InvalidRequestError as InvalidRequestError,
    MissingInputError as MissingInputError,
    ModelLoadError as ModelLoadError,
    PromptcraftError as PromptcraftError,
    PromptError as PromptError,
    RateLimitError as RateLimitError,
    StructuredOutputError as StructuredOutputError,
    TemplateNotFoundError as TemplateNotFoundError,
    TemplateRenderError as TemplateRenderError,
    TemplateSecurityError as TemplateSecurityError,
    TemplateSyntaxError as TemplateSyntaxError,
    TokenBudgetError as TokenBudgetError,
    TokenizerError as TokenizerError,
    ToolError as ToolError,
    TuningConfigError as TuningConfigError,
    TuningDataError as TuningDataError,
)
from .evaluation.dataset import load_dataset as load_dataset
from .evaluation.metrics import Metric as Metric, MetricResult as MetricResult
from .evaluation.report import (
    EvalReport as EvalReport,
    ItemResult as ItemResult,
    VariantResult as VariantResult,
)
from .evaluation.response_cache import ResponseCache as ResponseCache
from .evaluation.run import evaluate as evaluate
from .evaluation.variants import Selection as Selection
from .nn.adapters import AdapterInfo as AdapterInfo, load_adapter as load_adapter
from .nn.catalog import LocalModelInfo as LocalModelInfo, local_models as local_models
from .nn.loaders import load_model as load_model, save_model as save_model
from .prompts.guards import RenderLimits as RenderLimits
from .prompts.kinds import (
    ChatPrompt as ChatPrompt,
    FewShotPrompt as FewShotPrompt,
    HybridPrompt as HybridPrompt,
    PrefixPrompt as PrefixPrompt,
    ReversePrompt as ReversePrompt,
)
from .prompts.library import PromptLibrary as PromptLibrary
from .prompts.lint import LintProblem as LintProblem, lint_paths as lint_paths
from .prompts.normalize import normalize_text as normalize_text
from .prompts.promptfile import load_prompt as load_prompt
from .prompts.selection import (
    AllExamples as AllExamples,
    ExampleSelector as ExampleSelector,
    FirstK as FirstK,
    RandomK as RandomK,
    SimilarK as SimilarK,
    dedupe_examples as dedupe_examples,
    select_examples_within_budget as select_examples_within_budget,
)
from .prompts.similarity import (
    BM25 as BM25,
    EmbeddingSimilarity as EmbeddingSimilarity,
    SimilarityScorer as SimilarityScorer,
)
from .prompts.template import PromptTemplate as PromptTemplate, RenderedPrompt as RenderedPrompt
from .structured.generate import (
    StructuredResult as StructuredResult,
    agenerate_structured as agenerate_structured,
    agenerate_structured_result as agenerate_structured_result,
    generate_structured as generate_structured,
    generate_structured_result as generate_structured_result,
)
from .tokenizers.tokenizer import Tokenizer as Tokenizer, get_tokenizer as get_tokenizer
from .tuning.api import TuningReport as TuningReport, run_tuning as run_tuning, tune as tune
from .tuning.trainer import TuningConfig as TuningConfig
from .types import (
    Capabilities as Capabilities,
    Chunk as Chunk,
    Completion as Completion,
    FinishReason as FinishReason,
    GenerationParams as GenerationParams,
    Message as Message,
    Request as Request,
    TokenLogprob as TokenLogprob,
    ToolCall as ToolCall,
    TopLogprob as TopLogprob,
    Usage as Usage,
)

__version__: str
