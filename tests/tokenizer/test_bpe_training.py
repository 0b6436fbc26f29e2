"""The BPE trainer: hand-derived merges, agreement with a naive reference trainer, and
tokenizers that round-trip."""

from __future__ import annotations

from collections import Counter
from itertools import pairwise

import pytest
import regex

from promptcraft.tokenizers.tokenizer import CL100K_PATTERN
from recipes.pc_tiny.bpe_training import count_chunks, learn_merges, train_bpe


def naive_train(texts: list[str], n_merges: int, pattern: str) -> tuple[dict[bytes, int], list]:
    """minbpe's algorithm, written as plainly as possible: recount every pair of every chunk
    occurrence at each step. Returns the ranks and each text's final token ids."""
    vocab = [bytes([b]) for b in range(256)]
    texts_chunks = [[list(c.encode("utf-8")) for c in regex.findall(pattern, t)] for t in texts]
    for _ in range(n_merges):
        stats = Counter(pair for chunks in texts_chunks for ids in chunks for pair in pairwise(ids))
        if not stats:
            break
        pair = min(stats, key=lambda p: (-stats[p], vocab[p[0]], vocab[p[1]]))
        vocab.append(vocab[pair[0]] + vocab[pair[1]])
        new_id = len(vocab) - 1
        for chunks in texts_chunks:
            for index, ids in enumerate(chunks):
                merged, i = [], 0
                while i < len(ids):
                    if i + 1 < len(ids) and (ids[i], ids[i + 1]) == pair:
                        merged.append(new_id)
                        i += 2
                    else:
                        merged.append(ids[i])
                        i += 1
                chunks[index] = merged
    assert len(set(vocab)) == len(vocab)
    final = [[i for ids in chunks for i in ids] for chunks in texts_chunks]
    return {token: rank for rank, token in enumerate(vocab)}, final


def test_aaabdaaabac_gives_the_hand_derived_merges():
    # aa (4 times), then ab and "aa"+"a" tie at 2: b"a" < b"aa" picks ab; then aa+ab (2).
    assert learn_merges({"aaabdaaabac": 1}, 3) == [b"aa", b"ab", b"aaab"]


def test_ties_break_to_the_lowest_left_then_right_bytes():
    assert learn_merges({"zy": 1, "ac": 1, "ab": 1}, 3) == [b"ab", b"ac", b"zy"]


def test_pair_counts_are_weighted_by_chunk_frequency():
    # "cd" occurs in two distinct chunks, "ab" in one chunk that occurs three times.
    assert learn_merges({"ab": 3, "cd": 1, "xcd": 1}, 1) == [b"ab"]


def test_count_chunks_counts_each_pre_tokenized_chunk():
    counts = count_chunks(["the cat the cat", " the"], CL100K_PATTERN)
    assert counts == Counter({" the": 2, " cat": 2, "the": 1})


def test_train_bpe_matches_a_naive_reference_trainer(small_corpus: list[str]):
    expected, _ = naive_train(small_corpus, 150, CL100K_PATTERN)
    assert train_bpe(small_corpus, 256 + 150).mergeable_ranks == expected


def test_trained_encoding_equals_the_naive_trainers_segmentation(small_corpus: list[str]):
    _, segmented = naive_train(small_corpus, 150, CL100K_PATTERN)
    tokenizer = train_bpe(small_corpus, 256 + 150)
    assert [tokenizer.encode(text) for text in small_corpus] == segmented


def test_trained_tokenizer_round_trips_unseen_text(trained):
    text = "Unseen: Ωmega ☃ 🧪 résumé\t\n 98765 <|endoftext|>"
    assert trained.decode(trained.encode(text)) == text


def test_trained_tokenizer_compresses_its_corpus(trained, small_corpus: list[str]):
    text = small_corpus[0]
    assert len(trained.encode(text)) < len(text.encode("utf-8")) / 3


def test_vocab_size_counts_the_special_tokens(small_corpus: list[str]):
    tokenizer = train_bpe(small_corpus, 400, special_tokens=["<|a|>", "<|b|>"])
    assert tokenizer.n_vocab == 400


def test_listed_special_tokens_follow_the_merged_tokens(small_corpus: list[str]):
    tokenizer = train_bpe(small_corpus, 400, special_tokens=["<|a|>", "<|b|>"])
    assert tokenizer.special_tokens == {"<|a|>": 398, "<|b|>": 399}
    assert max(tokenizer.mergeable_ranks.values()) == 397


def test_special_token_mapping_keeps_its_ids(small_corpus: list[str]):
    tokenizer = train_bpe(small_corpus, 400, special_tokens={"<|b|>": 399, "<|a|>": 398})
    assert tokenizer.special_tokens == {"<|a|>": 398, "<|b|>": 399}


def test_special_token_mapping_below_the_merged_tokens_is_rejected(small_corpus: list[str]):
    with pytest.raises(ValueError, match="at least 399"):
        train_bpe(small_corpus, 400, special_tokens={"<|a|>": 10})


def test_special_token_text_is_never_learned():
    texts = ["<|endoftext|>".join(["hello world"] * 50)]
    tokenizer = train_bpe(texts, 300, special_tokens=["<|endoftext|>"])
    assert not any(b"|>" in token or b"<|" in token for token in tokenizer.mergeable_ranks)


def test_split_digits_keeps_every_digit_its_own_token():
    tokenizer = train_bpe(["12345 " * 40], 300, split_digits=True)
    assert len(tokenizer.encode("12345")) == 5


def test_default_pattern_learns_tokens_of_up_to_three_digits():
    tokenizer = train_bpe(["12345 " * 40], 300)
    assert tokenizer.encode("12345") == [tokenizer.token_id("123"), tokenizer.token_id("45")]


def test_pattern_and_split_digits_together_are_rejected():
    with pytest.raises(ValueError, match="split_digits"):
        train_bpe(["x"], 300, pattern=CL100K_PATTERN, split_digits=True)


def test_training_stops_when_the_corpus_runs_out_of_pairs():
    tokenizer = train_bpe(["abc"], 1000, special_tokens=["<|end|>"])
    assert tokenizer.n_vocab == 256 + 2 + 1
    assert tokenizer.special_tokens == {"<|end|>": 258}


def test_vocab_size_below_the_byte_alphabet_is_rejected():
    with pytest.raises(ValueError, match="smaller than 256 byte tokens"):
        train_bpe(["abc"], 256, special_tokens=["<|end|>"])


def test_training_does_not_depend_on_text_order(small_corpus: list[str]):
    forward = train_bpe(small_corpus, 350).mergeable_ranks
    assert train_bpe(small_corpus[::-1], 350).mergeable_ranks == forward


def test_progress_shows_a_merging_bar(small_corpus: list[str], capsys: pytest.CaptureFixture):
    train_bpe(small_corpus, 300, progress=True)
    assert "merging" in capsys.readouterr().err
