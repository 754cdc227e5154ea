"""A smoothed n-gram baseline over event tokens: interpolated absolute discounting.

P(w | h) = max(c(h, w) - D, 0) / c(h) + D * N(h) / c(h) * P(w | h'), where N(h) is the number of
distinct tokens seen after h and h' is h without its oldest token; an unseen h backs off to P(w | h')
entirely. The order-0 model interpolates with the uniform distribution, so every token has a
non-zero probability. Sequences start with START padding, so the first events have short contexts.

Scored targets are events[1:] of each sequence (each event after the first, given all earlier ones),
the targets of a language model fed events[:-1]; the neural model must be scored on the same targets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from apps.music.encoding import VOCAB_SIZE

DEFAULT_ORDER = 3  # trigram: contexts of two events
DEFAULT_DISCOUNT = 0.75  # the usual absolute-discounting constant (Ney et al.)


@dataclass
class NGramModel:
    """Counts per context for every order 0..order-1 (context lengths), and the smoothing."""

    order: int = DEFAULT_ORDER
    discount: float = DEFAULT_DISCOUNT
    vocab_size: int = VOCAB_SIZE
    # counts[k]: context id (k tokens) -> row of next-token counts
    rows: list[dict[int, int]] = field(default_factory=list)
    counts: list[np.ndarray] = field(default_factory=list)
    _memo: dict[int, np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def start_token(self) -> int:
        return self.vocab_size  # one id past the vocabulary pads the start of every sequence

    def windows(self, sequences: Sequence[np.ndarray]) -> np.ndarray:
        """Rows of (order-1 context tokens, target) for every event of every sequence."""
        pad = np.full(self.order - 1, self.start_token, dtype=np.int64)
        parts = [sliding_window_view(np.concatenate([pad, np.asarray(seq, dtype=np.int64)]), self.order)
                 for seq in sequences if len(seq)]
        return np.concatenate(parts) if parts else np.zeros((0, self.order), dtype=np.int64)

    def context_ids(self, windows: np.ndarray, length: int) -> np.ndarray:
        """One integer per row for its last ``length`` context tokens (base vocab_size + 1)."""
        context = windows[:, self.order - 1 - length:self.order - 1]
        powers = (self.vocab_size + 1) ** np.arange(length, dtype=np.int64)
        return context @ powers

    def fit(self, sequences: Sequence[np.ndarray]) -> "NGramModel":
        """Count every context length 0..order-1 over the training sequences."""
        if self.order < 1 or not 0 < self.discount < 1:
            raise ValueError("order must be >= 1 and discount in (0, 1)")
        windows = self.windows(sequences)
        targets = windows[:, -1]
        self.rows, self.counts, self._memo = [], [], {}
        for length in range(self.order):
            ids = self.context_ids(windows, length)
            unique, inverse = np.unique(ids, return_inverse=True)
            table = np.zeros((len(unique), self.vocab_size), dtype=np.float64)
            np.add.at(table, (inverse, targets), 1.0)
            self.rows.append({int(context): row for row, context in enumerate(unique)})
            self.counts.append(table)
        return self

    def distribution(self, context_id: int) -> np.ndarray:
        """P(next token) for a full-length context id (memoised; contexts repeat a lot)."""
        if context_id in self._memo:
            return self._memo[context_id]
        base = self.vocab_size + 1
        probability = np.full(self.vocab_size, 1.0 / self.vocab_size)
        for length in range(self.order):
            shorter_id = context_id % base**length  # the newest ``length`` tokens
            row = self.rows[length].get(shorter_id)
            if row is None:
                break  # a longer context containing an unseen one is unseen too
            counts = self.counts[length][row]
            total = counts.sum()
            seen = np.count_nonzero(counts)
            probability = (np.maximum(counts - self.discount, 0.0) + self.discount * seen * probability) / total
        self._memo[context_id] = probability
        return probability

    def target_probabilities(self, sequences: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(P(target), whether the most likely token is the target) for events[1:] of each sequence."""
        kept = [seq for seq in sequences if len(seq) > 1]
        if not kept:
            return np.zeros(0), np.zeros(0, dtype=bool)
        windows = self.windows(kept)
        first_rows = np.cumsum([0] + [len(seq) for seq in kept[:-1]])
        scored = np.ones(len(windows), dtype=bool)
        scored[first_rows] = False  # the first event of a sequence has no history to condition on
        windows = windows[scored]
        ids = self.context_ids(windows, self.order - 1)
        unique, inverse = np.unique(ids, return_inverse=True)
        table = np.stack([self.distribution(int(context)) for context in unique]) if len(unique) else np.zeros((0, self.vocab_size))
        targets = windows[:, -1]
        probabilities = table[inverse, targets]
        correct = table.argmax(axis=1)[inverse] == targets
        return probabilities, correct

    def evaluate(self, sequences: Sequence[np.ndarray]) -> dict[str, float]:
        """Mean negative log-likelihood per event (nats) and next-event accuracy on ``sequences``."""
        probabilities, correct = self.target_probabilities(sequences)
        if probabilities.size == 0:
            raise ValueError("no events to score: every sequence is shorter than 2 events")
        return {"nll": float(-np.log(probabilities).mean()), "accuracy": float(correct.mean()),
                "events": int(probabilities.size), "order": self.order, "discount": self.discount}


def fit_ngram(train: Sequence[np.ndarray], order: int = DEFAULT_ORDER, discount: float = DEFAULT_DISCOUNT,
              vocab_size: int = VOCAB_SIZE) -> NGramModel:
    """An n-gram model fitted on the training sequences."""
    return NGramModel(order=order, discount=discount, vocab_size=vocab_size).fit(train)
