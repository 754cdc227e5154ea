"""Posterior smoothing for streaming detection, after TFLite Micro micro_speech's RecognizeCommands.

Each result (a time and 12 class scores) enters a queue holding the last ``average_window_s``; the
queue's mean scores pick the top label. A detection fires when that label is a keyword, its mean
score reaches ``threshold``, the queue holds at least ``minimum_count`` results, and either the label
differs from the previous detection or ``suppression_s`` has passed since it.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import numpy as np

from apps.speech.labels import KEYWORDS, LABELS

# micro_speech's defaults are 1000 ms / 200 of 255 / 1500 ms / 3; our results come every ~0.24 s
# from windows that each hold a whole word, so a shorter window keeps a word's windows together.
AVERAGE_WINDOW_S = 0.5
THRESHOLD = 0.7
SUPPRESSION_S = 1.0
MINIMUM_COUNT = 2


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    start: float  # seconds: the start of the best-scoring window behind the detection
    end: float

    def to_dict(self) -> dict:
        return {"label": self.label, "score": round(self.score, 4), "start": round(self.start, 3),
                "end": round(self.end, 3)}


class RecognizeCommands:
    """Feed ``(start, end, scores)`` results in time order; ``process`` returns a Detection or None."""

    def __init__(self, average_window_s: float = AVERAGE_WINDOW_S, threshold: float = THRESHOLD,
                 suppression_s: float = SUPPRESSION_S, minimum_count: int = MINIMUM_COUNT) -> None:
        self.average_window_s = average_window_s
        self.threshold = threshold
        self.suppression_s = suppression_s
        self.minimum_count = minimum_count
        self.results: deque[tuple[float, float, np.ndarray]] = deque()
        self.previous_label: str | None = None
        self.previous_time = -np.inf

    def process(self, start: float, end: float, scores: np.ndarray) -> Detection | None:
        if self.results and end < self.results[-1][1]:
            raise ValueError(f"results must come in time order: {end} after {self.results[-1][1]}")
        self.results.append((start, end, np.asarray(scores, np.float64)))
        while self.results[0][1] <= end - self.average_window_s:
            self.results.popleft()
        if len(self.results) < self.minimum_count:
            return None
        average = np.mean([scores for _, _, scores in self.results], axis=0)
        top = int(np.argmax(average))
        label, score = LABELS[top], float(average[top])
        if label not in KEYWORDS or score < self.threshold:
            return None
        if label == self.previous_label and end - self.previous_time < self.suppression_s:
            return None
        self.previous_label, self.previous_time = label, end
        best_start, best_end, _ = max(self.results, key=lambda result: result[2][top])
        return Detection(label, score, best_start, best_end)
