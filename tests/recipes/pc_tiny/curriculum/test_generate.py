"""Generating samples: determinism, coverage, filters, the loss mask and lengths."""

from __future__ import annotations

import random

import pytest
import regex

from promptcraft.tokenizers.tokenizer import SINGLE_DIGIT_PATTERN
from recipes.pc_tiny import (
    DEFAULT_MIXTURE,
    FAMILIES,
    SAMPLE_KINDS,
    SPECIAL_TOKENS,
    Sample,
    corpus_text,
    generate_samples,
    kinds_of,
)
from recipes.pc_tiny.catalog import TEXT_FAMILIES
from recipes.pc_tiny.chat_format import render_chat
from recipes.pc_tiny.generate import compose
from recipes.pc_tiny.rendering import build_prompt, render_reusable

# 512 tokens at a pessimistic 3 characters per token, less room for the eos
MAX_CHARS = 3 * 500


def test_same_seed_gives_the_same_samples() -> None:
    first = list(generate_samples(60, seed=5))
    again = list(generate_samples(60, seed=5))
    assert first == again


def test_different_seeds_give_different_samples() -> None:
    a = [s.text for s in generate_samples(40, seed=1)]
    b = [s.text for s in generate_samples(40, seed=2)]
    assert len(set(a) & set(b)) < 4


def test_start_continues_the_same_stream() -> None:
    whole = list(generate_samples(30, seed=3))
    tail = list(generate_samples(10, seed=3, start=20))
    assert tail == whole[20:]


def _instructions(samples: list[Sample]) -> set[str]:
    return {s.meta["instruction"] for s in samples if s.meta.get("instruction")}


def test_word_dropout_makes_up_words_in_training_instructions_only() -> None:
    dropout = DEFAULT_MIXTURE.model_copy(update={"word_dropout": 1.0})
    kept = list(generate_samples(300, seed=3, kinds=["prefix"]))
    dropped = list(generate_samples(300, seed=3, kinds=["prefix"], mixture=dropout))
    assert len(_instructions(dropped) - _instructions(kept)) > 100
    heldout = generate_samples(100, seed=3, split="heldout", kinds=["prefix"], mixture=dropout)
    assert _instructions(list(heldout)) == _instructions(
        list(generate_samples(100, seed=3, split="heldout", kinds=["prefix"]))
    )


def test_heldout_split_draws_differently_from_train_with_the_same_seed() -> None:
    train = [s.query for s in generate_samples(40, seed=4, split="train")]
    heldout = [s.query for s in generate_samples(40, seed=4, split="heldout")]
    assert train != heldout


def test_every_family_appears_in_every_kind_it_supports(train_samples: list[Sample]) -> None:
    seen = {(s.family, s.kind) for s in train_samples}
    expected = {(f, k) for f in FAMILIES for k in kinds_of(f)}
    assert expected - seen == set()


def test_kind_shares_follow_the_mixture(train_samples: list[Sample]) -> None:
    total = sum(DEFAULT_MIXTURE.kinds.values())
    for kind in SAMPLE_KINDS:
        share = sum(s.kind == kind for s in train_samples) / len(train_samples)
        assert abs(share - DEFAULT_MIXTURE.kinds[kind] / total) < 0.05, kind


def test_few_shot_samples_use_every_trained_k(train_samples: list[Sample]) -> None:
    ks = {s.k for s in train_samples if s.kind == "few_shot"}
    assert ks == {0, 1, 2, 4, 6}


def test_filters_restrict_families_and_kinds() -> None:
    samples = list(generate_samples(40, seed=0, families=["arithmetic", "caesar"], kinds=["chat"]))
    assert {s.family for s in samples} == {"arithmetic", "caesar"}
    assert {s.kind for s in samples} == {"chat"}


def test_unknown_family_is_rejected_with_the_known_names() -> None:
    with pytest.raises(ValueError, match="reverse_list"):
        next(generate_samples(1, seed=0, families=["reverse_lists"]))


def test_filter_without_a_matching_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="no family"):
        next(generate_samples(1, seed=0, families=["icl_lookup"], kinds=["prefix"]))


def test_segments_concatenate_to_prompt_and_completion(train_samples: list[Sample]) -> None:
    for sample in train_samples:
        assert "".join(seg.text for seg in sample.segments) == sample.text
        assert sample.segments[0].text == sample.prompt
        assert not sample.segments[0].trainable


def test_text_samples_train_only_on_the_completion(train_samples: list[Sample]) -> None:
    for sample in train_samples:
        if sample.kind != "tool":
            assert [seg.trainable for seg in sample.segments] == [False, True]
            assert sample.segments[1].text == sample.completion


def test_completion_holds_the_answer_after_the_cue(train_samples: list[Sample]) -> None:
    for sample in train_samples:
        if sample.kind == "chat":
            assert sample.completion == sample.answer + "<|end|>"
        elif sample.kind != "tool":
            assert sample.completion == " " + sample.answer


def test_no_answer_contains_a_newline(train_samples: list[Sample]) -> None:
    assert not [s for s in train_samples if "\n" in s.answer or not s.answer.strip()]


def test_every_sample_fits_the_context(
    train_samples: list[Sample], heldout_samples: list[Sample]
) -> None:
    longest = max(len(s.text) for s in [*train_samples, *heldout_samples])
    assert longest < MAX_CHARS


_SPECIAL = regex.compile("|".join(regex.escape(t) for t in SPECIAL_TOKENS))
_PRETOKEN = regex.compile(SINGLE_DIGIT_PATTERN)


def _pretokens(text: str) -> list[str]:
    out: list[str] = []
    last = 0
    for match in _SPECIAL.finditer(text):
        out += [*_PRETOKEN.findall(text[last : match.start()]), match.group()]
        last = match.end()
    return out + _PRETOKEN.findall(text[last:])


def test_segments_meet_at_pretokenizer_boundaries(train_samples: list[Sample]) -> None:
    # BPE merges never cross pre-tokens, so then encoding segment by segment gives the ids
    # of the whole text, and the loss mask falls on token boundaries.
    for sample in train_samples:
        pieces = [p for seg in sample.segments for p in _pretokens(seg.text)]
        assert pieces == _pretokens(sample.text), sample.text


@pytest.mark.parametrize("family", sorted(TEXT_FAMILIES))
def test_training_render_equals_the_template_a_user_builds(family: str) -> None:
    source = TEXT_FAMILIES[family]
    for kind in sorted(source.kinds):
        for k in (0,) if kind == "prefix" else (0, 2):
            for draw in range(6):
                rng = random.Random(f"{family}/{kind}/{k}/{draw}")
                # the training stream (vary) and the evaluation's listed wordings and labels
                task = source.task(rng, k)
                composed = compose(kind, source, task, rng, "train", vary=draw % 2 == 0)
                user = build_prompt(composed.spec, composed.demos)
                fast = render_reusable(
                    composed.spec, composed.query, composed.variables, composed.demos
                )
                if kind == "chat":
                    messages = user.render_messages(**composed.inputs)
                    assert fast == render_chat(messages, add_generation_prompt=True)
                else:
                    assert fast == user.render(**composed.inputs)


def test_corpus_text_joins_prompt_and_completion() -> None:
    samples = list(generate_samples(5, seed=9))
    assert corpus_text(5, 9) == "\n\n".join(s.prompt + s.completion for s in samples)


def test_the_curriculum_does_not_import_torch() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from recipes.pc_tiny import generate_samples, eval_suites\n"
        "list(generate_samples(20, seed=0)); eval_suites(n=1, families=['tool_lookup'])\n"
        "print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
