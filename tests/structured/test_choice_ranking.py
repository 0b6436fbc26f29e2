"""Choices by ranking: every choice scored by the model's probability after the prompt (one
forward pass over the shared prefix), in Python and in ``.prompt`` files."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest
import torch

from promptcraft.backends import LocalBackend
from promptcraft.backends.testing import ScriptedBackend
from promptcraft.coerce import coerce_messages
from promptcraft.errors import (
    ConstraintError,
    ContextLengthError,
    InputValidationError,
    TemplateSyntaxError,
)
from promptcraft.nn.continuation_scoring import continuation_logprobs
from promptcraft.nn.kv_cache import KVPrefix
from promptcraft.prompts import load_prompt
from promptcraft.structured import (
    DEFAULT_RANK_BY,
    ChoiceRanker,
    ChoiceRanking,
    OptionScore,
    choices,
    generate_structured,
    generate_structured_result,
)
from promptcraft.types import Usage, continuation_text

OPTIONS = ["spam", "ham", "not sure", "b"]
PROMPTS = [
    "Classify the message.\nText: Win a prize now!\nLabel:",
    "Classify the message.\nText: Dinner at eight?\nLabel: ",
    "Classify the message.\nText: Cheap pills\nLabel:",
]


def _full_sequence_logprob(backend: LocalBackend, prompt: str, option: str) -> float:
    """The reference: the option appended to the prompt, run through the model whole."""
    return _full_sequence_logprob_ids(backend, backend.generator.encode(prompt), option, prompt)


def _full_sequence_logprob_ids(
    backend: LocalBackend, ids: list[int], option: str, prompt: str
) -> float:
    tail = backend.tokenizer.encode(continuation_text(option, prompt[-1].isspace()))
    with torch.no_grad():
        logits = backend.decoder(torch.tensor([ids + tail]))
    logprobs = torch.log_softmax(logits.float(), dim=-1)[0]
    return sum(float(logprobs[len(ids) - 1 + j, t]) for j, t in enumerate(tail))


def test_local_backend_is_a_choice_ranker(bundled: LocalBackend) -> None:
    assert isinstance(bundled, ChoiceRanker)
    assert not isinstance(ScriptedBackend([]), ChoiceRanker)


def test_ranking_scores_equal_the_whole_sequence_run_through_the_model(
    bundled: LocalBackend,
) -> None:
    rankings = bundled.rank_choices(PROMPTS, OPTIONS)
    for prompt, ranking in zip(PROMPTS, rankings, strict=True):
        assert [s.option for s in ranking.scores] == OPTIONS
        for score in ranking.scores:
            expected = _full_sequence_logprob(bundled, prompt, score.option)
            assert score.logprob == pytest.approx(expected, abs=1e-3)


def test_a_batch_of_prompts_ranks_as_each_prompt_alone(bundled: LocalBackend) -> None:
    together = bundled.rank_choices(PROMPTS, OPTIONS)
    alone = [bundled.rank_choices([p], OPTIONS)[0] for p in PROMPTS]
    for batched, single in zip(together, alone, strict=True):
        assert batched.by("sum") == pytest.approx(single.by("sum"), abs=1e-3)


def test_ranking_conversations_uses_the_chat_template(bundled: LocalBackend) -> None:
    messages = [{"role": "user", "content": "Is this spam? Win a prize now!"}]
    (ranking,) = bundled.rank_choices([messages], ["yes", "no"])
    ids = bundled.chat_template.encode(coerce_messages(messages), bundled.tokenizer)
    assert ranking.usage.prompt_tokens == len(ids)
    # after the template's "assistant" line the choices are scored without a leading space
    rendered = bundled.tokenizer.decode(ids)
    for score in ranking.scores:
        expected = _full_sequence_logprob_ids(bundled, ids, score.option, rendered)
        assert score.logprob == pytest.approx(expected, abs=1e-3)


def test_rank_mode_answers_the_most_probable_choice(bundled: LocalBackend) -> None:
    (ranking,) = bundled.rank_choices([PROMPTS[0]], OPTIONS)
    for rank_by in ("sum", "mean"):
        result = generate_structured_result(
            bundled, PROMPTS[0], choices(OPTIONS, mode="rank", rank_by=rank_by)
        )
        assert result.strategy == "ranked"
        assert result.output == ranking.best(rank_by)
        assert result.ranking is not None and result.ranking.by(rank_by) == pytest.approx(
            ranking.by(rank_by)
        )
        assert result.usage.completion_tokens == 0


def test_sum_favours_short_choices_and_mean_does_not() -> None:
    ranking = ChoiceRanking(
        scores=(
            OptionScore(option="no", logprob=-3.0, tokens=1),
            OptionScore(option="refund_request", logprob=-4.0, tokens=4),
        ),
        usage=Usage(prompt_tokens=10, completion_tokens=0),
    )
    assert ranking.best("sum") == "no"
    assert ranking.best("mean") == "refund_request"


def test_ranking_does_not_disturb_the_generation_prefix_cache(bundled: LocalBackend) -> None:
    bundled.generate(PROMPTS[0], max_tokens=2, temperature=0)
    cached = bundled.generator.cached_token_ids
    bundled.rank_choices(PROMPTS, OPTIONS)
    assert bundled.generator.cached_token_ids == cached


def test_an_adapter_prefix_comes_before_every_ranked_prompt(bundled: LocalBackend) -> None:
    config = bundled.decoder.config
    generator = torch.Generator().manual_seed(0)
    shape = (config.n_kv_heads, 3, config.head_dim)
    prefix = KVPrefix(
        keys=tuple(torch.randn(shape, generator=generator) for _ in range(config.n_layers)),
        values=tuple(torch.randn(shape, generator=generator) for _ in range(config.n_layers)),
    )
    prompt = bundled.generator.encode(PROMPTS[0])
    option = bundled.tokenizer.encode(" not sure")
    (scored,) = continuation_logprobs(bundled.decoder, [prompt], [option], kv_prefix=prefix)
    with torch.no_grad():
        logits = bundled.decoder(
            torch.tensor([prompt + option]), start=prefix.length, kv_prefix=prefix.layers()
        )
    logprobs = torch.log_softmax(logits.float(), dim=-1)[0]
    expected = [float(logprobs[len(prompt) - 1 + j, t]) for j, t in enumerate(option)]
    assert scored[0] == pytest.approx(expected, abs=1e-3)


def test_a_prompt_with_no_room_for_the_choices_names_the_context(bundled: LocalBackend) -> None:
    long_prompt = "word " * 600
    with pytest.raises(ContextLengthError, match="longest choice"):
        bundled.rank_choices([long_prompt], OPTIONS)


def test_a_choice_follows_a_text_prompt_after_one_space() -> None:
    assert continuation_text("spam", prompt_ends_in_space=False) == " spam"
    assert continuation_text("spam", prompt_ends_in_space=True) == "spam"
    assert continuation_text(" spam", prompt_ends_in_space=False) == " spam"


def test_rank_by_without_rank_mode_is_refused() -> None:
    with pytest.raises(ConstraintError, match="rank_by applies to mode='rank'"):
        choices(["a", "b"], rank_by="sum")
    with pytest.raises(ConstraintError, match="mode must be 'generate' or 'rank'"):
        choices(["a", "b"], mode="score")  # type: ignore[arg-type]


def test_rank_mode_is_part_of_the_constraint_identity() -> None:
    assert choices(["a", "b"]) != choices(["a", "b"], mode="rank")
    assert choices(["a", "b"], mode="rank").rank_by == DEFAULT_RANK_BY
    by_sum, by_mean = (choices(["a", "b"], mode="rank", rank_by=r) for r in ("sum", "mean"))
    assert by_sum != by_mean
    assert choices(["a", "b"], mode="rank") == (by_sum if DEFAULT_RANK_BY == "sum" else by_mean)


def test_a_backend_that_cannot_rank_generates_the_answer_with_a_warning() -> None:
    backend = ScriptedBackend(["ham"])
    with pytest.warns(RuntimeWarning, match="cannot, so the answer is generated"):
        result = generate_structured_result(backend, "Label:", choices(OPTIONS, mode="rank"))
    assert result.output == "ham" and result.strategy == "prompted"


def _rank_template(tmp_path: Path, output: str) -> Path:
    path = tmp_path / "label.prompt"
    path.write_text(
        f"---\nname: label\ninputs:\n  text: str\n{output}\n---\nText: {{{{ text }}}}\nLabel:",
        encoding="utf-8",
    )
    return path


def test_a_prompt_file_declares_rank_mode(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(
        _rank_template(tmp_path, "output: {choices: [spam, ham, not sure], mode: rank}")
    )
    assert template.output.mode == "rank"
    (ranking,) = bundled.rank_choices(["Text: Win now\nLabel:"], ["spam", "ham", "not sure"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the local model ranks: no fallback warning
        assert template.run(bundled, text="Win now") == ranking.best(DEFAULT_RANK_BY)


def test_a_prompt_file_may_choose_rank_by(bundled: LocalBackend, tmp_path: Path) -> None:
    template = load_prompt(
        _rank_template(tmp_path, "output: {choices: [spam, ham], mode: rank, rank_by: sum}")
    )
    (ranking,) = bundled.rank_choices(["Text: hi\nLabel:"], ["spam", "ham"])
    assert generate_structured(bundled, template, inputs={"text": "hi"}) == ranking.best("sum")


def test_rank_by_without_mode_rank_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match="rank_by applies to mode: rank"):
        load_prompt(_rank_template(tmp_path, "output: {choices: [a, b], rank_by: sum}"))


def test_mode_on_a_regex_output_fails_at_load(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match="apply to choices only"):
        load_prompt(_rank_template(tmp_path, "output: {regex: '[a-z]+', mode: rank}"))


def test_calibration_subtracts_each_choices_mean_content_free_score() -> None:
    usage = Usage(prompt_tokens=1, completion_tokens=0, total_tokens=1)

    def ranking(spam: float, ham: float) -> ChoiceRanking:
        scores = (OptionScore(option="spam", logprob=spam, tokens=1),)
        scores += (OptionScore(option="ham", logprob=ham, tokens=1),)
        return ChoiceRanking(scores=scores, usage=usage)

    raw = ranking(-1.0, -2.0)
    assert raw.best("sum") == "spam"
    calibrated = raw.calibrated([ranking(-0.5, -4.0), ranking(-1.5, -4.0)])
    assert calibrated.by("sum") == {"spam": 0.0, "ham": 2.0}
    assert calibrated.best("sum") == "ham"


def test_a_calibrated_template_scores_its_inputs_against_content_free_ones(
    bundled: LocalBackend, tmp_path: Path
) -> None:
    spec = "output: {choices: [spam, ham], mode: rank, calibrate: true}"
    template = load_prompt(_rank_template(tmp_path, spec))
    (ranking,) = bundled.rank_choices(["Text: Win now\nLabel:"], ["spam", "ham"])
    blanks = [f"Text: {blank}\nLabel:" for blank in ("N/A", "[MASK]", "")]
    expected = ranking.calibrated(bundled.rank_choices(blanks, ["spam", "ham"]))
    result = generate_structured_result(bundled, template, inputs={"text": "Win now"})
    assert result.ranking == expected
    assert result.output == expected.best("sum")
    assert template.run(bundled, text="Win now") == result.output


def test_calibrate_needs_a_template_and_rank_mode(bundled: LocalBackend, tmp_path: Path) -> None:
    with pytest.raises(ConstraintError, match="calibrate applies to mode='rank' only"):
        choices(["a", "b"], calibrate=True)
    with pytest.raises(ConstraintError, match="needs a template prompt"):
        generate_structured(bundled, "Label:", choices(["a", "b"], mode="rank", calibrate=True))
    with pytest.raises(TemplateSyntaxError, match="calibrate applies to mode: rank"):
        load_prompt(_rank_template(tmp_path, "output: {choices: [a, b], calibrate: true}"))


def _labels_template(tmp_path: Path, output: str, inputs: str = "") -> Path:
    path = tmp_path / "labels.prompt"
    declared = inputs or "  text: str\n  labels: {type: 'list[str]', default: [spam, ham]}\n"
    path.write_text(
        f"---\nname: labels\ninputs:\n{declared}{output}\n---\nText: {{{{ text }}}}\nLabel:",
        encoding="utf-8",
    )
    return path


def test_choices_from_takes_the_choices_from_an_input(
    bundled: LocalBackend, tmp_path: Path
) -> None:
    template = load_prompt(_labels_template(tmp_path, "output: {choices_from: labels}"))
    assert template.run(bundled, text="Win now") in ("spam", "ham")  # the default
    assert template.run(bundled, text="Win now", labels=["junk", "fine"]) in ("junk", "fine")


def test_choices_from_must_name_a_declared_input(tmp_path: Path) -> None:
    with pytest.raises(TemplateSyntaxError, match="reads input 'tags', which is not declared"):
        load_prompt(_labels_template(tmp_path, "output: {choices_from: tags}"))


def test_choices_from_an_input_that_is_not_a_list_of_labels_is_refused(
    bundled: LocalBackend, tmp_path: Path
) -> None:
    declared = "  text: str\n  labels: {type: 'list[str]', default: []}\n"
    template = load_prompt(_labels_template(tmp_path, "output: {choices_from: labels}", declared))
    with pytest.raises(InputValidationError, match="must be a list of non-empty strings"):
        template.run(bundled, text="hi", labels=["a", ""])
