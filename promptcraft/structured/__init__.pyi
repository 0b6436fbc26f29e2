"""The public names of this package, listed once: its ``__init__`` loads them lazily from here."""

from ..constraints.automaton import (
    TokenAutomaton as TokenAutomaton,
    compile_constraint as compile_constraint,
)
from ..constraints.constraints import (
    DEFAULT_RANK_BY as DEFAULT_RANK_BY,
    JSON_WHITESPACE as JSON_WHITESPACE,
    Choices as Choices,
    Constraint as Constraint,
    JsonSchema as JsonSchema,
    Regex as Regex,
    as_constraint as as_constraint,
    choices as choices,
    json_schema as json_schema,
    regex as regex,
)
from ..constraints.outline import schema_outline as schema_outline
from .batch import (
    StructuredJob as StructuredJob,
    generate_structured_batch as generate_structured_batch,
)
from .generate import (
    StructuredResult as StructuredResult,
    agenerate_structured as agenerate_structured,
    agenerate_structured_result as agenerate_structured_result,
    generate_structured as generate_structured,
    generate_structured_result as generate_structured_result,
)
from .ranking import (
    ChoiceRanker as ChoiceRanker,
    ChoiceRanking as ChoiceRanking,
    OptionScore as OptionScore,
)
