"""The four text kinds as Python objects, and input validation."""

from __future__ import annotations

import pytest

from promptcraft.prompts import (
    FewShotPrompt,
    HybridPrompt,
    InputValidationError,
    MissingInputError,
    PrefixPrompt,
    PromptError,
    PromptTemplate,
    ReversePrompt,
    TemplateSecurityError,
    TemplateSyntaxError,
)
from promptcraft.tokenizers.tokenizer import get_tokenizer


def test_prefix_prompt_renders_instruction_then_input() -> None:
    prompt = PrefixPrompt("Summarize the text.")
    assert prompt.render(input="Cats sleep a lot.") == "Summarize the text.\n\nCats sleep a lot."


def test_prefix_prompt_labels_add_input_label_and_output_cue() -> None:
    prompt = PrefixPrompt("Summarize.", input_label="Text", output_label="Summary")
    assert prompt.render(input="abc") == "Summarize.\n\nText: abc\nSummary:"


def test_prefix_instruction_is_template_text_that_may_use_inputs() -> None:
    prompt = PrefixPrompt("Summarize in {{ words }} words.")
    assert prompt.render(input="x", words=5) == "Summarize in 5 words.\n\nx"


def test_few_shot_renders_examples_then_query_in_the_same_format(reviews) -> None:
    prompt = FewShotPrompt(examples=reviews[:2])
    assert prompt.render(input="Great") == (
        "Input: I loved every minute of it\nOutput: positive\n\n"
        "Input: Dull and far too long\nOutput: negative\n\n"
        "Input: Great\nOutput:"
    )


def test_few_shot_uses_configured_keys_and_labels() -> None:
    prompt = FewShotPrompt(
        examples=[{"review": "Nice", "label": "pos"}],
        input_key="review",
        output_key="label",
        input_label="Review",
        output_label="Sentiment",
    )
    assert prompt.render(review="Bad") == "Review: Nice\nSentiment: pos\n\nReview: Bad\nSentiment:"


def test_few_shot_custom_example_and_query_templates() -> None:
    prompt = FewShotPrompt(
        examples=[{"q": "2+2", "a": "4"}],
        example_template="Q: {{ example.q }} A: {{ example.a }}",
        query_template="Q: {{ question }} A:",
    )
    assert prompt.render(question="3+3") == "Q: 2+2 A: 4\n\nQ: 3+3 A:"


def test_custom_example_separator_follows_every_example() -> None:
    prompt = FewShotPrompt(examples=[{"input": "a", "output": "b"}], example_separator="\n###\n")
    assert prompt.render(input="c") == "Input: a\nOutput: b\n###\nInput: c\nOutput:"


def test_hybrid_puts_the_instruction_before_the_examples(reviews) -> None:
    prompt = HybridPrompt("Classify the sentiment.", examples=reviews[:1])
    assert prompt.render(input="Meh") == (
        "Classify the sentiment.\n\nInput: I loved every minute of it\nOutput: positive\n\n"
        "Input: Meh\nOutput:"
    )


def test_reverse_prompt_swaps_input_and_output(reviews) -> None:
    prompt = ReversePrompt(reviews[:1])
    assert prompt.render(output="negative") == (
        "Output: positive\nInput: I loved every minute of it\n\nOutput: negative\nInput:"
    )


def test_few_shot_reverse_returns_a_reverse_prompt_with_the_same_examples(reviews) -> None:
    forward = FewShotPrompt(examples=reviews, input_label="Q", output_label="A")
    backward = forward.reverse()
    assert isinstance(backward, ReversePrompt)
    assert backward.examples == forward.examples
    assert backward.render(output="x").endswith("A: x\nQ:")


def test_hybrid_reverse_takes_a_new_instruction(reviews) -> None:
    forward = HybridPrompt("Classify the sentiment.", examples=reviews)
    backward = forward.reverse("Write a review with this sentiment.")
    text = backward.render(output="positive")
    assert text.startswith("Write a review with this sentiment.\n\n")
    assert "Classify" not in text


def test_reverse_of_a_custom_format_needs_reverse_templates() -> None:
    forward = FewShotPrompt(examples=[{"q": "a", "a": "b"}], example_template="{{ example.q }}")
    with pytest.raises(PromptError, match="example_template"):
        forward.reverse()


def test_examples_are_data_not_template_text() -> None:
    tricky = "{{ 1 + 1 }} {% if x %}'\"{# c #}"
    prompt = FewShotPrompt(examples=[{"input": tricky, "output": "}}{{"}])
    assert prompt.render(input="q").startswith(f"Input: {tricky}\nOutput: }}}}{{{{\n\n")


def test_empty_instruction_leaves_no_blank_line(reviews) -> None:
    assert not HybridPrompt("", examples=reviews).render(input="x").startswith("\n")


def test_python_kinds_infer_inputs_from_their_templates() -> None:
    prompt = PrefixPrompt("Answer in {{ language }}.")
    assert set(prompt.inputs) == {"input", "language"}


def test_every_kind_is_a_prompt_template(reviews) -> None:
    kinds = [
        PrefixPrompt("x"),
        FewShotPrompt(reviews),
        HybridPrompt("x", reviews),
        ReversePrompt(reviews),
    ]
    assert [k.kind for k in kinds] == ["prefix", "few_shot", "hybrid", "reverse"]
    assert all(isinstance(k, PromptTemplate) for k in kinds)


def test_render_messages_of_a_text_prompt_is_one_user_message() -> None:
    (message,) = PrefixPrompt("Hi.").render_messages(input="there")
    assert (message.role, message.content) == ("user", "Hi.\n\nthere")


def test_missing_input_names_the_variable_and_the_template() -> None:
    prompt = PrefixPrompt("x", name="greeting")
    with pytest.raises(MissingInputError) as info:
        prompt.render()
    assert info.value.variable == "input"
    assert "greeting" in str(info.value)


def test_missing_undeclared_variable_names_it_and_its_line() -> None:
    prompt = PromptTemplate("line one\n{{ who }}", name="hello")
    with pytest.raises(MissingInputError) as info:
        prompt.render()
    assert info.value.variable == "who"
    assert info.value.line == 2


def test_wrong_input_type_names_the_field() -> None:
    prompt = PromptTemplate("{{ n }}", inputs={"n": "int"})
    with pytest.raises(InputValidationError) as info:
        prompt.render(n="many")
    assert info.value.field == "n"


def test_unexpected_input_names_the_field() -> None:
    prompt = PromptTemplate("{{ n }}", inputs={"n": "int"})
    with pytest.raises(InputValidationError) as info:
        prompt.render(n=1, m=2)
    assert info.value.field == "m"


def test_enum_rejects_values_outside_it() -> None:
    prompt = PromptTemplate("{{ tone }}", inputs={"tone": {"enum": ["calm", "warm"]}})
    with pytest.raises(InputValidationError, match="tone"):
        prompt.render(tone="angry")


def test_defaults_fill_missing_inputs() -> None:
    prompt = PromptTemplate("{{ n }}-{{ m }}", inputs={"n": {"type": "int", "default": 3}, "m": {}})
    assert prompt.render(m="x") == "3-x"


def test_optional_input_without_default_is_none() -> None:
    prompt = PromptTemplate("{{ m is none }}", inputs={"m": {"required": False}})
    assert prompt.render() == "True"


def test_reserved_input_names_are_rejected() -> None:
    with pytest.raises(PromptError, match="reserved"):
        PromptTemplate("x", inputs={"examples": "str"})


def test_count_tokens_counts_the_rendered_prompt_with_the_real_tokenizer(reviews) -> None:
    prompt = HybridPrompt("Classify.", reviews)
    expected = get_tokenizer("cl100k_base").count(prompt.render(input="Great"))
    assert prompt.count_tokens(input="Great") == expected


def test_count_tokens_accepts_a_tokenizer_object() -> None:
    tokenizer = get_tokenizer("cl100k_base")
    prompt = PrefixPrompt("Say hello.")
    assert prompt.count_tokens(tokenizer, input="x") == tokenizer.count("Say hello.\n\nx")


def test_render_prompt_carries_generation_defaults() -> None:
    prompt = PrefixPrompt("Hi.", defaults={"max_tokens": 5, "stop": "\n"})
    rendered = prompt.render_prompt({"input": "x"})
    assert (rendered.text, rendered.params) == ("Hi.\n\nx", {"max_tokens": 5, "stop": ["\n"]})


def test_unknown_generation_default_is_rejected() -> None:
    with pytest.raises(PromptError, match="beam"):
        PrefixPrompt("Hi.", defaults={"beams": 4})


def test_prefix_prompt_prints_no_separators_for_examples() -> None:
    body = "{% for e in examples %}{{ e.input }};{% endfor %}"
    prompt = PromptTemplate(body, examples=[{"input": "a"}, {"input": "b"}])
    assert prompt.render() == "a;b;"


def test_reverse_keeps_the_forward_defaults_but_max_tokens(reviews) -> None:
    forward = FewShotPrompt(
        examples=reviews, defaults={"stop": ["\n"], "temperature": 0, "max_tokens": 4}
    )
    assert forward.reverse().defaults == {"stop": ["\n"], "temperature": 0}


def test_reverse_keeps_the_normalization_of_the_forward_prompt(reviews) -> None:
    backward = FewShotPrompt(examples=reviews, normalize=["trailing_spaces"]).reverse()
    assert backward.render(output="positive  ") == backward.render(output="positive")


@pytest.mark.parametrize("examples", [[("a", "b")], ["ab"], {"input": "a"}, None])
def test_examples_that_are_not_a_list_of_mappings_are_refused_clearly(examples) -> None:
    with pytest.raises(TemplateSyntaxError, match="examples"):
        FewShotPrompt(examples)


def test_render_limits_given_as_a_mapping_are_checked_and_used() -> None:
    prompt = PrefixPrompt("", limits={"max_output_chars": 3})
    with pytest.raises(TemplateSecurityError, match="max_output_chars"):
        prompt.render(input="four")
    with pytest.raises(TemplateSyntaxError, match="max_output"):
        PrefixPrompt("", limits={"max_output": 3})
