"""Generated tokens → text deltas, with stop strings matched across token boundaries."""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Sequence

from ..errors import TokenizerError
from ..tokenizers.tokenizer import Tokenizer

__all__ = ["StopTextStream"]


class StopTextStream:
    """Assembles one sequence's text token by token.

    :meth:`push` returns the text that is safe to show: complete UTF-8 characters only
    (the tokenizer's stream decoder holds back a split character), and never the start of
    a possible stop string (held back until it either completes, and is cut with all that
    follows, or turns out to be ordinary text). As in vLLM, stop strings only count once
    ``min_tokens`` tokens exist. Special tokens (EOS, ...) and ids the tokenizer does not know
    add no text.
    """

    def __init__(
        self,
        tokenizer: Tokenizer,
        stop: Sequence[str] = (),
        *,
        min_tokens: int = 0,
        silent_ids: Collection[int] = (),
    ):
        self._decoder = tokenizer.stream_decoder()
        self._stop = list(stop)
        self._min_tokens = min_tokens
        self._silent = silent_ids
        self._text = ""
        self._shown = 0  # characters of _text already returned
        self._checked = 0  # length of _text at the last stop-string check
        self._tokens = 0
        self.stopped = False

    @property
    def text(self) -> str:
        """All text so far (after a stop: the text before the stop string)."""
        return self._text

    def push(self, token_id: int) -> str:
        """Add a generated token; return the new text that may be shown (maybe ``""``).
        Sets :attr:`stopped` when a stop string completes."""
        self._tokens += 1
        # An id the tokenizer does not know is a padding row of the embedding matrix.
        if token_id not in self._silent:
            with contextlib.suppress(TokenizerError):
                self._text += self._decoder.push(token_id)
        if self._stop and self._tokens >= self._min_tokens:
            cut = self._find_stop()
            if cut is not None:
                self._text = self._text[:cut]
                self.stopped = True
                return self._show(cut)
        self._checked = len(self._text)
        return self._show(len(self._text) - self._partial_stop_len())

    def finish(self) -> str:
        """End of generation: the text still held back."""
        if not self.stopped:
            self._text += self._decoder.flush()
        return self._show(len(self._text))

    def _show(self, end: int) -> str:
        delta = self._text[self._shown : end]
        self._shown = max(self._shown, end)
        return delta

    def _find_stop(self) -> int | None:
        """Start of the earliest stop string that ends in text added since the last check."""
        best = None
        for stop in self._stop:
            at = self._text.find(stop, max(0, self._checked - len(stop) + 1))
            if at != -1 and (best is None or at < best):
                best = at
        return best

    def _partial_stop_len(self) -> int:
        """Length of the longest end of the text that could still grow into a stop string."""
        longest = 0
        for stop in self._stop:
            for size in range(min(len(stop) - 1, len(self._text)), longest, -1):
                if self._text.endswith(stop[:size]):
                    longest = size
                    break
        return longest
