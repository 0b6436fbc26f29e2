"""Property tests: inputs render literally, and only promptcraft's errors ever escape."""

from __future__ import annotations

import contextlib

from hypothesis import HealthCheck, given, settings, strategies as st

from promptcraft.errors import PromptcraftError
from promptcraft.prompts import ChatPrompt, FewShotPrompt, PrefixPrompt, PromptTemplate

PREFIX = PrefixPrompt("Echo:")
FEW_SHOT = FewShotPrompt([{"input": "a", "output": "b"}])
CHAT = ChatPrompt("Be safe.")
TYPED = PromptTemplate("{{ n + 1 }} {{ xs|join(',') }}", inputs={"n": "int", "xs": "list[str]"})

FRAGMENTS = st.sampled_from(
    ["{{", "}}", "{%", "%}", "{#", "#}", " x ", " for ", " in ", " if ", " endif ", " endfor ",
     " block ", " endblock ", " message ", " endmessage ", "range(", ")", "|", "join", "'",
     '"', ".", "__class__", "*", "**", "~", "9", "[", "]", "(", ",", "\n", "-", "raw", "set",
     "=", "macro", "include", "extends", "self", "super()", "loop", "caller()", "abc"]
)  # fmt: skip
VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text() | st.binary(),
    lambda inner: st.lists(inner) | st.tuples(inner) | st.dictionaries(st.text(), inner),
    max_leaves=8,
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.text())
def test_any_input_string_renders_literally_in_a_prefix_prompt(text: str) -> None:
    assert PREFIX.render(input=text) == f"Echo:\n\n{text}"


@SETTINGS
@given(st.text(), st.text())
def test_any_example_data_renders_literally(example: str, query: str) -> None:
    prompt = FewShotPrompt([{"input": example, "output": example}])
    assert (
        prompt.render(input=query)
        == f"Input: {example}\nOutput: {example}\n\nInput: {query}\nOutput:"
    )


@SETTINGS
@given(st.text())
def test_any_input_string_stays_one_user_message(text: str) -> None:
    messages = CHAT.render_messages(input=text)
    assert [(m.role, m.content) for m in messages] == [("system", "Be safe."), ("user", text)]


@SETTINGS
@given(st.lists(FRAGMENTS, max_size=25).map("".join))
def test_any_template_source_raises_only_promptcraft_errors(source: str) -> None:
    with contextlib.suppress(PromptcraftError):
        PromptTemplate(source).render(x="v", abc=[1, 2])


@SETTINGS
@given(st.dictionaries(st.sampled_from(["n", "xs", "zz"]), VALUES))
def test_any_input_values_raise_only_promptcraft_errors(inputs: dict) -> None:
    with contextlib.suppress(PromptcraftError):
        TYPED.render(**inputs)
