"""Agents: typed tools, and a loop that lets a model call them until it can answer.

- :func:`tool` / :class:`Tool`: a typed Python function the model may call;
- :data:`calculator`, :func:`lookup`, :data:`today`: built-in tools, safe by construction;
- :class:`Agent`: the loop, over native tool calls, or the text (or chat) protocol of local
  models, each turn constrained to a well-formed call or an answer;
- :class:`ProtocolSettings`: a protocol chosen by hand (``Agent(protocol=...)``);
- :class:`AgentResult`, :class:`AgentStep` and the streamed events.

To test an agent without a model, give it a ``ScriptedBackend`` or ``FunctionBackend`` from
:mod:`promptcraft.backends.testing`, with :func:`action_line` for text-protocol replies
(examples in :mod:`.agent`).

Nothing here imports torch: an agent on a remote backend never loads the local decoder.
"""

from ..utils.lazy_exports import attach_stub as _attach_stub

__getattr__, __dir__, __all__ = _attach_stub(__name__, __file__, globals())
