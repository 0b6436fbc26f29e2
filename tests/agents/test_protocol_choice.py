"""Which protocol an agent speaks with each backend: native calls where the API has them,
pc-tiny's trained text protocol as it is, demonstrations for a local model that was not
trained on it (SmolLM2), and the adapter-tuned SmolLM2 without them."""

from __future__ import annotations

from types import SimpleNamespace

from promptcraft.agents.protocol_choice import ProtocolSettings, choose_protocol
from promptcraft.types import Capabilities


def backend(model: str, **capabilities: bool) -> SimpleNamespace:
    return SimpleNamespace(model=model, capabilities=Capabilities(**capabilities))


def test_a_server_with_native_tool_calls_gets_the_native_protocol() -> None:
    assert choose_protocol(backend("gpt", native_tool_calls=True)).name == "native"


def test_pc_tiny_keeps_the_text_protocol_it_was_trained_on() -> None:
    settings = choose_protocol(backend("pc-tiny", constrained_decoding=True))
    assert settings == ProtocolSettings("text")


def test_smollm2_is_shown_demonstrations_and_the_lookup_keys() -> None:
    settings = choose_protocol(backend("smollm2", constrained_decoding=True))
    assert settings == ProtocolSettings("text", demonstrations=True, choices=True)


def test_smollm2_with_its_tool_use_adapter_needs_no_demonstrations() -> None:
    settings = choose_protocol(backend("smollm2+tool-use", constrained_decoding=True))
    assert settings == ProtocolSettings("text", choices=True)


def test_an_adapter_tuned_on_the_tool_protocol_is_recognised_whatever_its_file_is_called() -> None:
    renamed = backend("smollm2+my-copy", constrained_decoding=True)
    renamed.adapter_template = "tool_protocol"  # what attach_adapter reads from its metadata
    assert choose_protocol(renamed) == ProtocolSettings("text", choices=True)


def test_a_server_that_refused_tools_falls_back_to_the_plain_text_protocol() -> None:
    remote = backend("llama", native_tool_calls=True)
    assert choose_protocol(remote, native_refused=True) == ProtocolSettings("text")


def test_the_chat_protocol_by_name_thinks_and_is_shown_demonstrations() -> None:
    settings = choose_protocol(backend("smollm2", constrained_decoding=True), "chat")
    assert settings == ProtocolSettings("chat", demonstrations=True, thoughts=True, choices=True)


def test_settings_given_to_the_agent_are_used_as_they_are() -> None:
    wanted = ProtocolSettings("text", thoughts=True)
    assert choose_protocol(backend("smollm2", constrained_decoding=True), wanted) is wanted
