"""Which protocol an agent speaks with a backend, and with which settings.

======================================  ==========================================================
backend                                 protocol
======================================  ==========================================================
native tool calls (OpenAI-compatible)   ``native``: the API's own ``tools`` and ``tool_calls``
pc-tiny (trained on the text protocol)  ``text`` exactly as trained: no demonstrations, no thoughts
SmolLM2 with its tool-use adapter       ``text`` as the adapter was tuned: the lookup keys listed,
(``smollm2+tool-use``)                  no demonstrations (the adapter replaces them)
another local model (SmolLM2)           ``text`` with demonstrations, the lookup keys listed, and
                                        the whole turn constrained
anything else (a server that refused    ``text`` as pc-tiny speaks it (what a test script or a
``tools``, a test backend)              fallback expects)
======================================  ==========================================================

The SmolLM2 rows are measured (``benchmarks/results/agent.md``): on held-out problems the
text protocol with demonstrations kept every turn well-formed, as did the chat protocol
(``react_agent``) and a thought line before each action, but none of them solved a problem;
the adapter (``recipes/smollm2_tool_use.py``) is what makes SmolLM2 solve them. Load it with
``pc.load_backend("smollm2", adapter="smollm2-tool-use")``: the
backend is then named ``smollm2+tool-use`` and ``auto`` picks its row. SmolLM2-135M's own
chat template has no tool-call convention (plain ChatML: no ``tools``, no ``<tool_call>``), so
there is no native convention to use locally. ``protocol=`` on the Agent picks one by name;
the settings still follow the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..backends.base import Backend
from .turns import ProtocolName

__all__ = ["TEXT_PROTOCOL_MODELS", "TUNED_MODELS", "ProtocolSettings", "choose_protocol"]

ProtocolRequest = Literal["auto", "native", "text", "chat"]

#: Models trained on ``templates/tool_protocol.prompt`` as it is (by ``backend.model``):
#: they get it without demonstrations or thoughts.
TEXT_PROTOCOL_MODELS = frozenset({"pc-tiny"})
#: Models served with an adapter tuned on the protocol with the lookup keys listed
#: (``recipes/smollm2_tool_use.py``): no demonstrations, which the adapter replaces. A local
#: backend whose adapter was tuned on ``tool_protocol`` counts too, whatever its file's name.
TUNED_MODELS = frozenset({"smollm2+tool-use"})
_PROTOCOL_TEMPLATE = "tool_protocol"


@dataclass(frozen=True)
class ProtocolSettings:
    """A protocol and how it is spoken: worked ``demonstrations`` before the question;
    ``thoughts``: a thought line allowed before each action; ``choices``: the tool lines
    list the values an enumerated argument takes (a lookup's keys)."""

    name: ProtocolName
    demonstrations: bool = False
    thoughts: bool = False
    choices: bool = False


def choose_protocol(
    backend: Backend,
    requested: ProtocolRequest | ProtocolSettings = "auto",
    *,
    native_refused: bool = False,
) -> ProtocolSettings:
    """The protocol for ``backend``: ``requested`` (a name, or settings used as they are),
    or the table above for ``"auto"``. ``native_refused``: the server refused ``tools``
    before, so ``auto`` skips native."""
    if isinstance(requested, ProtocolSettings):
        return requested
    capabilities = backend.capabilities
    if requested == "native" or (
        requested == "auto" and capabilities.native_tool_calls and not native_refused
    ):
        return ProtocolSettings("native")
    if requested == "chat":
        return ProtocolSettings("chat", demonstrations=True, thoughts=True, choices=True)
    if backend.model in TEXT_PROTOCOL_MODELS:  # pc-tiny: as trained
        return ProtocolSettings("text")
    tuned = getattr(backend, "adapter_template", None) == _PROTOCOL_TEMPLATE
    if backend.model in TUNED_MODELS or tuned:  # SmolLM2 with its tool-use adapter: as tuned
        return ProtocolSettings("text", choices=True)
    # A local model that can be constrained and was not trained on the protocol: shown how.
    learner = capabilities.constrained_decoding
    return ProtocolSettings("text", demonstrations=learner, choices=learner)
