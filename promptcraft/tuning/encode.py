"""Examples as token ids: the rendered prompt, then the completion and an end-of-text token.

The prompt and the completion are encoded separately, exactly as generation sees them: the
app sends the prompt, the model continues from its last token. A completion starts with a
space unless the prompt ends in whitespace (the bundled model's curriculum writes
``"Output: answer"``), and ends with the model's first stop token, so a tuned model stops.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from ..nn.generate import Generator
from ..prompts.template import PromptTemplate
from .data import TuningExample, render_example

__all__ = ["EncodedExample", "collate", "completion_text", "encode_examples"]


@dataclass(frozen=True)
class EncodedExample:
    example: TuningExample
    prompt_ids: list[int]
    target_ids: list[int]  # the completion's tokens, then the stop token

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.target_ids)


def completion_text(prompt: str, output: str) -> str:
    """The text the model should generate after ``prompt`` for ``output``."""
    if not prompt or prompt[-1].isspace() or output[:1].isspace():
        return output
    return " " + output


def encode_examples(
    examples: list[TuningExample],
    template: PromptTemplate,
    generator: Generator,
    *,
    reserved: int = 0,
) -> list[EncodedExample]:
    """Render and tokenize ``examples``. Raises :class:`~promptcraft.errors.TuningDataError`
    naming the example whose prompt and completion (plus ``reserved`` positions for virtual
    tokens) do not fit the model's context."""
    stop = _stop_token(generator)
    context = generator.config.max_seq_len - reserved
    encoded = []
    for example in examples:
        prompt = render_example(template, example)
        target = generator.tokenizer.encode(completion_text(prompt, example.output))
        item = EncodedExample(example, generator.encode(prompt), [*target, stop])
        if len(item) > context:
            room = f" ({reserved} positions go to virtual tokens)" if reserved else ""
            raise example.error(
                f"too long: the rendered prompt and output take {len(item)} tokens, the "
                f"model's context leaves {context}{room}; shorten the input or output"
            )
        encoded.append(item)
    return encoded


def _stop_token(generator: Generator) -> int:
    ids = list(generator.config.eos_token_ids)
    stop = ids[0] if ids else generator.tokenizer.eos_token_id
    if stop is None:
        raise ValueError("the model has no end-of-text token to end completions with")
    return int(stop)


def collate(
    batch: list[EncodedExample], pad_id: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``(inputs, targets, weights)`` [batch, n]: rows padded on the right (causal attention
    never looks right, so padding changes nothing before it), weight 1 on the positions that
    predict a completion token."""
    width = max(len(item) for item in batch) - 1
    inputs = torch.full((len(batch), width), pad_id, dtype=torch.long)
    targets = torch.full((len(batch), width), pad_id, dtype=torch.long)
    weights = torch.zeros(len(batch), width)
    for row, item in enumerate(batch):
        ids = item.prompt_ids + item.target_ids
        n = len(ids) - 1
        inputs[row, :n] = torch.tensor(ids[:-1])
        targets[row, :n] = torch.tensor(ids[1:])
        weights[row, len(item.prompt_ids) - 1 : n] = 1.0
    return inputs.to(device), targets.to(device), weights.to(device)
