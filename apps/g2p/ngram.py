"""The learned baseline of our own: a letter-context transducer over EM-aligned letter -> phoneme chunks.

Training aligns every (word, pronunciation) pair so that each letter emits a chunk of 0, 1 or 2 phonemes
("x" -> K S, the silent "e" -> nothing), with chunk probabilities p(chunk | letter) re-estimated by hard EM
(Viterbi). Prediction gives each letter the chunk seen most often with its widest known letter context
(CONTEXT letters either side, backing off to narrower windows), and joins the chunks. It is the classic
context-window approach before joint-sequence models: no model of the output sequence itself.
"""
from __future__ import annotations

import math
from collections import Counter, defaultdict

from apps.g2p.data import Lexicon

MAX_CHUNK = 2                 # phonemes one letter may emit (x -> K S; no English letter needs 3)
EM_ITERATIONS = 3             # alignments stop changing after 2-3 passes on CMUdict
CONTEXT = 3                   # letters either side in the widest context window
BOUNDARY = "#"
# Smoothing of p(chunk | letter): an unseen pairing stays possible but costly.
FLOOR = 1e-4
# First EM pass (no estimates yet): prefer one phoneme per letter, then silent letters, then pairs.
START_COST_BY_SIZE = (2.0, 1.0, 3.0)
Chunk = tuple[str, ...]


def align(word: str, phones: tuple[str, ...], costs: dict[str, dict[Chunk, float]],
          unseen: tuple[float, ...] = (-math.log(FLOOR),) * (MAX_CHUNK + 1)) -> list[Chunk] | None:
    """The cheapest split of ``phones`` into one chunk per letter (None when none fits)."""
    n, m = len(word), len(phones)
    best: list[list[tuple[float, int]]] = [[(math.inf, -1)] * (m + 1) for _ in range(n + 1)]
    best[0][0] = (0.0, -1)
    for i in range(1, n + 1):
        table = costs.get(word[i - 1], {})
        for j in range(m + 1):
            for size in range(min(MAX_CHUNK, j) + 1):
                previous = best[i - 1][j - size][0]
                if previous < math.inf:
                    cost = previous + table.get(phones[j - size:j], unseen[size])
                    if cost < best[i][j][0]:
                        best[i][j] = (cost, size)
    if best[n][m][0] == math.inf:
        return None
    chunks: list[Chunk] = []
    j = m
    for i in range(n, 0, -1):
        size = best[i][j][1]
        chunks.append(phones[j - size:j])
        j -= size
    return chunks[::-1]


def estimate(alignments: list[tuple[str, list[Chunk]]]) -> dict[str, dict[Chunk, float]]:
    counts: dict[str, Counter] = defaultdict(Counter)
    for word, chunks in alignments:
        for letter, chunk in zip(word, chunks):
            counts[letter][chunk] += 1
    return {letter: {chunk: -math.log(count / sum(c.values())) for chunk, count in c.items()}
            for letter, c in counts.items()}


def train_alignments(lexicon: Lexicon) -> list[tuple[str, list[Chunk]]]:
    costs: dict[str, dict[Chunk, float]] = {}
    pairs = [(word, pron) for word, prons in lexicon.items() for pron in prons]
    alignments: list[tuple[str, list[Chunk]]] = []
    for iteration in range(EM_ITERATIONS):
        unseen = START_COST_BY_SIZE if iteration == 0 else (-math.log(FLOOR),) * (MAX_CHUNK + 1)
        alignments = [(word, chunks) for word, pron in pairs
                      if (chunks := align(word, pron, costs, unseen)) is not None]
        costs = estimate(alignments)
    return alignments


def context(word: str, index: int, width: int) -> str:
    padded = BOUNDARY * CONTEXT + word + BOUNDARY * CONTEXT
    centre = index + CONTEXT
    return padded[centre - width:centre + width + 1]


class ContextTransducer:
    """Most frequent chunk per letter context, widest window first."""

    def __init__(self, lexicon: Lexicon | None = None):
        tables: list[dict[str, Counter]] = [defaultdict(Counter) for _ in range(CONTEXT + 1)]
        for word, chunks in train_alignments(lexicon or {}):
            for index, chunk in enumerate(chunks):
                for width in range(CONTEXT + 1):
                    tables[width][context(word, index, width)][chunk] += 1
        self.best = [{key: counts.most_common(1)[0][0] for key, counts in table.items()} for table in tables]

    def to_json(self) -> list[dict[str, list[str]]]:
        return [{key: list(chunk) for key, chunk in table.items()} for table in self.best]

    @classmethod
    def from_json(cls, tables: list[dict[str, list[str]]]) -> "ContextTransducer":
        model = cls()
        model.best = [{key: tuple(chunk) for key, chunk in table.items()} for table in tables]
        return model

    def pronounce(self, word: str) -> tuple[str, ...]:
        phones: list[str] = []
        for index in range(len(word)):
            for width in range(CONTEXT, -1, -1):
                chunk = self.best[width].get(context(word, index, width))
                if chunk is not None:
                    phones.extend(chunk)
                    break
        return tuple(phones)

    def predict_lexicon(self, words: list[str]) -> dict[str, tuple[str, ...]]:
        return {word: self.pronounce(word) for word in words}
