"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..constraints.output_spec import OutputSpec as OutputSpec
from ..errors import (
    InputValidationError as InputValidationError,
    MissingInputError as MissingInputError,
    PromptError as PromptError,
    TemplateNotFoundError as TemplateNotFoundError,
    TemplateRenderError as TemplateRenderError,
    TemplateSecurityError as TemplateSecurityError,
    TemplateSyntaxError as TemplateSyntaxError,
    TokenBudgetError as TokenBudgetError,
)
from ..types import Message as Message
from .guards import RenderLimits as RenderLimits
from .inputs import InputSpec as InputSpec
from .kinds import (
    ChatPrompt as ChatPrompt,
    FewShotPrompt as FewShotPrompt,
    HybridPrompt as HybridPrompt,
    PrefixPrompt as PrefixPrompt,
    ReversePrompt as ReversePrompt,
)
from .library import PromptLibrary as PromptLibrary
from .lint import LintProblem as LintProblem, lint_paths as lint_paths
from .normalize import NORMALIZE_STEPS as NORMALIZE_STEPS, normalize_text as normalize_text
from .promptfile import load_prompt as load_prompt
from .selection import (
    AllExamples as AllExamples,
    ExampleSelector as ExampleSelector,
    FirstK as FirstK,
    RandomK as RandomK,
    SimilarK as SimilarK,
    dedupe_examples as dedupe_examples,
    select_examples_within_budget as select_examples_within_budget,
)
from .similarity import (
    BM25 as BM25,
    EmbeddingSimilarity as EmbeddingSimilarity,
    SimilarityScorer as SimilarityScorer,
)
from .specs import (
    GenerationDefaults as GenerationDefaults,
    LayoutSpec as LayoutSpec,
    SelectSpec as SelectSpec,
)
from .template import PromptTemplate as PromptTemplate, RenderedPrompt as RenderedPrompt
