"""Streaming keyword detection: audio -> mel frames -> staggered window scores -> smoothed detections.

Audio goes through a ring buffer (``FrameBuffer``): every 20 ms (320 new samples) the newest 30 ms (480
samples) become one frame of mel energies, each window state turns it into the model's features (log-mel,
or PCEN whose smoother starts with the window, as in training) and a step model advances one step. The model
was trained on 1 s windows that start from a zero state, so ``streams`` copies of the state run staggered
(``window_scores``): each is reset every 49 frames, offset by 49 / streams frames from the next, and
scores the window it has just completed: ``streams`` steps per frame (4 by default, against the 49 steps
of re-scoring a whole 1 s window every frame).

Posterior smoothing, after TFLite Micro micro_speech's RecognizeCommands:

Each result (a time and 12 class scores) enters a queue holding the last ``average_window_s``; the
queue's mean scores pick the top label. A detection fires when that label is a keyword, its mean
score reaches ``threshold``, the queue holds at least ``minimum_count`` results, and either the label
differs from the previous detection or ``suppression_s`` has passed since it.

End of a phrase: a keyword that ends the recording ("front left") is only whole in the windows that end
after it, so the stream is flushed with FLUSH_S of silence (zeros, as training clips are padded). With a
window every ~0.25 s and a 0.3 s average (two results), a detection needs the two windows that end within
~0.5 s after the word: the smoothing never waits for more audio than that. Each detection reports when it
fired (seconds of audio consumed), where the word ended (the last frame within WORD_END_DROP of the loudest
frame of its window) and the latency between the two.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, replace
from typing import Any, Iterator

import numpy as np

from apps.speech import frontend
from apps.speech.labels import KEYWORDS, LABELS
from suite.errors import UserError

STREAMS = 4  # staggered states: a completed 1 s window every 49 / 4 ~ 12 frames (245 ms)
FEED_SAMPLES = 1_600  # audio is fed in 100 ms chunks, as a microphone callback would

# micro_speech's defaults are 1000 ms / 200 of 255 / 1500 ms / 3; our results come every ~0.24 s
# from windows that each hold a whole word, so a shorter window keeps a word's windows together.
AVERAGE_WINDOW_S = 0.3  # two results: the windows ending ~0.25 and ~0.5 s after a word
THRESHOLD = 0.7
SUPPRESSION_S = 1.0
MINIMUM_COUNT = 2
FLUSH_S = 0.5  # silence fed after the last sample, so a keyword that ends the recording is detected
WORD_END_DROP = 2.5  # natural-log units of mel energy (~22 dB) below the window's loudest frame: still the word


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    start: float  # seconds: the start of the best-scoring window behind the detection
    end: float
    fired: float | None = None  # seconds of audio consumed when the detection was made
    word_end: float | None = None  # estimated end of the spoken word

    @property
    def latency(self) -> float | None:
        """Seconds from the word's end to the detection."""
        return None if self.fired is None or self.word_end is None else self.fired - self.word_end

    def to_dict(self) -> dict:
        record = {"label": self.label, "score": round(self.score, 4), "start": round(self.start, 3),
                  "end": round(self.end, 3)}
        if self.latency is not None:
            record.update(fired=round(self.fired, 3), word_end=round(self.word_end, 3), latency=round(self.latency, 3))
        return record


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
        return Detection(label, score, best_start, best_end, fired=end)


class FrameBuffer:
    """Audio in any chunk sizes -> frames of mel energies, each as soon as its 480 samples have arrived.

    Holds at most 480 + chunk samples: the next frame starts at the buffer's first sample, and each
    frame consumed drops 320 samples (20 ms), so consecutive frames overlap by 160 samples, as in
    ``frontend.mel``: frame i of a stream equals frame i of the whole recording.
    """

    def __init__(self) -> None:
        self.pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        self.pending = np.concatenate([self.pending, np.asarray(samples, np.float32)])
        frames = []
        while len(self.pending) >= frontend.WINDOW_SAMPLES:
            frames.append(frontend.mel_frames(self.pending[:frontend.WINDOW_SAMPLES]))
            self.pending = self.pending[frontend.HOP_SAMPLES:]
        return frames


def audio_frames(signal: np.ndarray, chunk: int = FEED_SAMPLES, flush_s: float = 0.0) -> Iterator[np.ndarray]:
    """The mel frames of a recording, fed through a FrameBuffer chunk by chunk, then ``flush_s`` of silence."""
    buffer = FrameBuffer()
    signal = np.concatenate([np.asarray(signal, np.float32), np.zeros(int(flush_s * frontend.SAMPLE_RATE), np.float32)])
    for start in range(0, len(signal), chunk):
        yield from buffer.push(signal[start:start + chunk])


class EnergyTrack:
    """The mel energy of the recent frames (about 2 s), to say where a detected word ended."""

    def __init__(self, keep: int = 2 * frontend.NUM_FRAMES) -> None:
        self.frames: deque[tuple[float, float]] = deque(maxlen=keep)  # (frame end s, log mel energy)
        self.count = 0

    def add(self, frame: np.ndarray) -> np.ndarray:
        end = (self.count * frontend.HOP_SAMPLES + frontend.WINDOW_SAMPLES) / frontend.SAMPLE_RATE
        self.frames.append((end, float(np.log(np.sum(frame + frontend.LOG_OFFSET)))))
        self.count += 1
        return frame

    def word_end(self, start: float, end: float) -> float:
        """End of the last frame in (start, end] within WORD_END_DROP of the loudest one there."""
        inside = [(time, energy) for time, energy in self.frames if start < time <= end + 1e-9]
        if not inside:
            return end
        loudest = max(energy for _, energy in inside)
        return max(time for time, energy in inside if energy >= loudest - WORD_END_DROP)


def window_scores(stepper: Any, frames: Iterator[np.ndarray], streams: int = STREAMS,
                  window: int = frontend.NUM_FRAMES) -> Iterator[tuple[float, float, np.ndarray]]:
    """(start s, end s, class scores) of every completed window of the staggered streams, in time order;
    ``frames`` are mel energies, made into the stepper's features per window."""
    if not 1 <= streams <= window:
        raise UserError(f"--streams {streams}: must be between 1 and {window}")
    offsets = [index * window // streams for index in range(streams)]
    states = [stepper.initial_state() for _ in offsets]
    features = [frontend.FrameFeatures(getattr(stepper, "features", "log_mel")) for _ in offsets]
    for t, frame in enumerate(frames):
        for index, offset in enumerate(offsets):
            if t < offset:
                continue
            position = (t - offset) % window
            if position == 0:
                states[index] = stepper.initial_state()
                features[index].reset()
            scores, states[index] = stepper.step(features[index](frame), states[index])
            if position == window - 1:
                first = t - window + 1
                yield (first * frontend.HOP_SAMPLES / frontend.SAMPLE_RATE,
                       (t * frontend.HOP_SAMPLES + frontend.WINDOW_SAMPLES) / frontend.SAMPLE_RATE, scores)


def detections(stepper: Any, signal: np.ndarray, streams: int = STREAMS, recognizer: RecognizeCommands | None = None,
               flush_s: float = FLUSH_S) -> Iterator[tuple[tuple[float, float, np.ndarray], Detection | None]]:
    """Every window result of a recording (flushed with ``flush_s`` of silence) with the detection it made, if any;
    a detection carries the estimated end of its word."""
    recognizer = recognizer or RecognizeCommands()
    track, duration = EnergyTrack(), len(signal) / frontend.SAMPLE_RATE
    frames = (track.add(frame) for frame in audio_frames(signal, flush_s=flush_s))
    for result in window_scores(stepper, frames, streams):
        found = recognizer.process(*result)
        if found is not None:
            # a window that ends in the flush is reported up to the recording's end; ``fired`` stays as it was
            found = replace(found, end=min(found.end, duration), word_end=track.word_end(found.start, found.fired))
        yield result, found


def detect(stepper: Any, signal: np.ndarray, streams: int = STREAMS,
           recognizer: RecognizeCommands | None = None, flush_s: float = FLUSH_S) -> list[Detection]:
    return [found for _, found in detections(stepper, signal, streams, recognizer, flush_s) if found is not None]
