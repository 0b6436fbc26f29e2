"""The curriculum of the bundled model: generated training samples that speak promptcraft's
own prompt formats, and held-out evaluation sets run through the public template API.

Samples are rendered through the template engine (the five kinds' layouts and
``templates/tool_protocol.prompt``) with varied wordings, labels and separators::

    from recipes.pc_tiny import generate_samples, eval_suites

    for sample in generate_samples(100_000, seed=0, split="train"):
        ...  # sample.prompt, sample.completion, sample.segments (loss mask)

    for suite in eval_suites(n=50, kinds=["few_shot"]):
        for item in suite.items:
            text = item.template.render(**item.inputs)  # item.check(reply)

Families, kinds and weights: :mod:`.mixture` (drills such as ``icl_recall`` are training
practice, left out of :data:`EVALUATED_FAMILIES`). The held-out split: :mod:`.evaluation`. The
training stream's paraphrased wordings: :mod:`.paraphrase`; its wider and made-up labels:
:mod:`.formats`. The bundled model's chat format: :mod:`.chat_format`. The tool protocol:
:mod:`.tool_protocol`.
Nothing here imports torch.
"""

from __future__ import annotations

from .catalog import EVALUATED_FAMILIES, FAMILIES, TEXT_FAMILIES, TOOL_FAMILIES, kinds_of
from .chat_format import (
    CHAT_TEMPLATE,
    END_OF_TURN,
    EOS_TOKEN,
    ROLE_TOKENS,
    SPECIAL_TOKENS,
    render_chat,
)
from .evaluation import EVAL_SHOTS, EvalItem, EvalSuite, check_answer, eval_suites
from .generate import corpus_text, generate_samples
from .mixture import DEFAULT_MIXTURE, Mixture
from .sample import SAMPLE_KINDS, Sample, SampleKind, Segment
from .tool_protocol import (
    OBSERVATION_STOP,
    TOOL_PROTOCOL_TEMPLATE,
    ToolEpisode,
    parse_reply,
    run_tool_episode,
    tool_protocol_template,
)
from .tool_runtime import TOOL_SPECS, calculate, run_action

__all__ = [
    "CHAT_TEMPLATE",
    "DEFAULT_MIXTURE",
    "END_OF_TURN",
    "EOS_TOKEN",
    "EVALUATED_FAMILIES",
    "EVAL_SHOTS",
    "FAMILIES",
    "OBSERVATION_STOP",
    "ROLE_TOKENS",
    "SAMPLE_KINDS",
    "SPECIAL_TOKENS",
    "TEXT_FAMILIES",
    "TOOL_FAMILIES",
    "TOOL_PROTOCOL_TEMPLATE",
    "TOOL_SPECS",
    "EvalItem",
    "EvalSuite",
    "Mixture",
    "Sample",
    "SampleKind",
    "Segment",
    "ToolEpisode",
    "calculate",
    "check_answer",
    "corpus_text",
    "eval_suites",
    "generate_samples",
    "kinds_of",
    "parse_reply",
    "render_chat",
    "run_action",
    "run_tool_episode",
    "tool_protocol_template",
]
