"""Greedy and beam search over a runner's decoder step: one encoder pass, then one step per output phoneme.

Cost is linear in the output length: the decoder step carries its recurrent state, and attention reads the
encoder memory computed once (no re-running of the prefix).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.g2p import data
from apps.g2p.model import DECODING, Runner
from export import seq2seq
from export.seq2seq import MIN_PROBABILITY


@dataclass(frozen=True)
class Hypothesis:
    phones: tuple[str, ...]
    score: float            # log-probability of the phonemes and the end token


def letters_of(words: list[str]) -> np.ndarray:
    return data.one_hot(data.encode_words(words), data.LETTER_DEPTH)


def greedy(runner: Runner, words: list[str], tokens: tuple[str, ...]) -> list[Hypothesis]:
    """The most likely next token at every step, for a batch of words."""
    ids, scores = seq2seq.greedy(runner, letters_of(words), DECODING)
    return [Hypothesis(phones_of(row, tokens), float(score)) for row, score in zip(ids, scores)]


def phones_of(ids: np.ndarray, tokens: tuple[str, ...]) -> tuple[str, ...]:
    """Phonemes up to the first end (or pad) token; greedy decoding marks the steps after it -1."""
    phones = []
    for token in ids:
        if token < 0 or token in (data.EOS, data.PAD):
            break
        if token != data.BOS:
            phones.append(tokens[int(token)])
    return tuple(phones)


def greedy_lexicon(runner: Runner, words: list[str], tokens: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    ids, _ = seq2seq.greedy_batched(runner, letters_of(words), DECODING)
    return {word: phones_of(row, tokens) for word, row in zip(words, ids)}


def beam(runner: Runner, word: str, tokens: tuple[str, ...], width: int) -> list[Hypothesis]:
    """The ``width`` best pronunciations of one word (log-probability, best first)."""
    memory, states = runner.encode(letters_of([word]))
    live: list[tuple[tuple[int, ...], float, list[np.ndarray]]] = [((), 0.0, states)]
    done: list[tuple[tuple[int, ...], float]] = []
    for _ in range(data.DECODER_STEPS):
        previous = np.array([ids[-1] if ids else data.BOS for ids, _, _ in live])
        stacked = [np.concatenate([s[i] for _, _, s in live]) for i in range(len(states))]
        probabilities, new_states = runner.step(seq2seq.one_hot(previous, runner.depth),
                                                np.repeat(memory, len(live), axis=0), stacked)
        logs = np.log(np.maximum(probabilities, MIN_PROBABILITY))
        candidates = sorted(((live[i][1] + float(logs[i, t]), i, int(t))
                             for i in range(len(live)) for t in np.argsort(-logs[i])[:width]), reverse=True)
        parents, live = live, []
        for score, i, token in candidates[:width]:
            ids = (*parents[i][0], token)
            if token in (data.EOS, data.PAD):
                done.append((ids, score))
            else:
                live.append((ids, score, [s[i:i + 1] for s in new_states]))
        if not live or len(done) >= width and max(s for _, s, _ in live) < sorted(s for _, s in done)[-width]:
            break
    best = sorted(done + [(ids, score) for ids, score, _ in live], key=lambda h: -h[1])[:width]
    return [Hypothesis(phones_of(np.array(ids), tokens), score) for ids, score in best]


def beam_lexicon(runner: Runner, words: list[str], tokens: tuple[str, ...], width: int) -> dict[str, tuple[str, ...]]:
    """The best of each word's ``width``-beam (raw log-probability: length normalisation did not help, docs)."""
    return {word: beam(runner, word, tokens, width)[0].phones for word in words}
