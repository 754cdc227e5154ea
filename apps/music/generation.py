"""Melody generation: next-event scorers, sampling (temperature, top-k) and beam search.

A scorer gives P(next event) for a batch of event histories and carries whatever it needs between
steps in a ``ScorerState``:

- ``StepScorer`` (basic, lookback): the stateful step model (``suite.streaming.step_model``) run
  by a compiled step function; the state is the recurrent state, so each new event costs one step
  and a melody costs time linear in its length.
- ``RuntimeScorer``: the same step model exported to TFLite/ONNX, run by ``export/runtime.py``
  (what ``generate`` uses with the shipped model: no TensorFlow import, ~30 us per event).
- ``WindowScorer`` (attention): the attention model cannot be streamed, so each step recomputes
  the sequence model over the last ``attention_window`` events: still linear in the length, with a
  constant ``attention_window`` times larger.

Beam search follows Magenta's melody_rnn: each iteration every beam branches into
``branch_factor`` continuations of ``steps_per_iteration`` events sampled from the model (with the
chosen temperature and top-k), and the ``beam`` best branches survive. What "best" means is a
ranking (``RANKINGS``):

- ``likelihood`` (melody_rnn's): the branch's log-likelihood. On the shipped model it collapses
  (seeds 1-20, beam 4: 26 notes per 8 bars instead of 50 sampled, pitch range 6.7 instead of 14.8,
  notes held 60 steps, one melody a 4-note loop): a hold or a loop costs less likelihood than a new
  pitch, so every selection favours them, and 32 selections compound.
- ``pitch`` (the default): rhythm (hold / rest / new note) is left to sampling, and the branches are
  ranked by their pitch choices only, as a z-score: the sum over the branch's note onsets of
  log q(pitch) + H(q), where q is the model's pitch distribution given an onset, divided by the
  square root of the summed variance of log q. Each term has mean 0 under the model, so the score
  does not reward more or fewer notes, nor entering predictable states; it keeps branches whose
  pitches were likelier than the model itself expected. Same seeds: 44 notes, range 12.2, longest
  note 16 steps (the corpus's 8-bar excerpts: 43 notes, range 13.1).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from apps.music.cache import CachedScorer, CacheSettings
from apps.music.encoding import FIRST_NOTE_ON, NO_EVENT, NOTE_OFF
from apps.music.model import MelodyModel, model_inputs
from apps.music.stats import STUCK_NOTE_STEPS

BRANCH_FACTOR = 2
# One bar per beam iteration: with a quarter note (4) the 32 selections of 8 bars compound into
# loops (pitch range 11.0, a melody with 9% distinct interval 4-grams); a bar gives 12.2 and >= 67%.
STEPS_PER_ITERATION = 16
PROBABILITY_FLOOR = 1e-12
# The longest note generation sustains: one step short of what the statistics call stuck (four 4/4
# bars). Sampling at temperature 1 otherwise holds about one note in 100 melodies that long; the
# corpus has notes this long at its ends only (99.99% of its notes are under 48 steps).
MAX_NOTE_STEPS = STUCK_NOTE_STEPS - 1


@dataclass
class ScorerState:
    """Event histories (B, T) and the recurrent states of each row.

    The histories live in a buffer whose capacity doubles when full, so appending an event costs
    O(1) amortized: a fresh (B, T + 1) copy per event made the time per event grow with the length
    (+4% per event at 4,096 events). An appended state shares its parent's buffer, so branch a
    state with ``select`` (a copy), never by appending to it twice.
    """

    buffer: np.ndarray
    length: int
    states: list = field(default_factory=list)
    caches: list = field(default_factory=list)  # per row, with a cache model (``apps.music.cache``)

    @classmethod
    def of(cls, histories: np.ndarray, states: list | None = None) -> "ScorerState":
        histories = np.asarray(histories)
        return cls(histories, histories.shape[1], list(states or []))

    @property
    def histories(self) -> np.ndarray:
        return self.buffer[:, :self.length]

    def appended(self, events: np.ndarray) -> "ScorerState":
        buffer = self.buffer
        if self.length == buffer.shape[1]:
            buffer = np.concatenate([buffer, np.zeros_like(buffer)], axis=1)
        buffer[:, self.length] = events
        return ScorerState(buffer, self.length + 1, self.states)

    def select(self, rows: np.ndarray) -> "ScorerState":
        return ScorerState(self.buffer[rows], self.length, [state[rows] for state in self.states],
                           [self.caches[row].copy() for row in rows] if self.caches else [])


class StatefulScorer:
    """P(next event) from a stateful step model, one call per event; subclasses make the call."""

    def __init__(self, lookback: bool) -> None:
        self.lookback = lookback

    def step_input(self, histories: np.ndarray) -> np.ndarray:
        if not self.lookback:
            return histories[:, -1:].astype(np.int32)
        from apps.music.lookback import features_np

        step = histories.shape[1] - 1
        return np.stack([features_np(row, step) for row in histories])[:, None, :]

    def initial_states(self, batch: int) -> list[np.ndarray]:
        raise NotImplementedError

    def _advance(self, histories: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        """(P(next event) (B, vocab) as float64, new states) after the last event of each history."""
        raise NotImplementedError

    def start(self, histories: np.ndarray) -> tuple[np.ndarray, ScorerState]:
        """Feed the histories (B, T >= 1) event by event; P(next) after the last one."""
        states = self.initial_states(len(histories))
        for length in range(1, histories.shape[1] + 1):
            probabilities, states = self._advance(histories[:, :length], states)
        return probabilities, ScorerState.of(histories, states)

    def advance(self, state: ScorerState, events: np.ndarray) -> tuple[np.ndarray, ScorerState]:
        extended = state.appended(events)
        probabilities, extended.states = self._advance(extended.histories, state.states)
        return probabilities, extended


class StepScorer(StatefulScorer):
    """The Keras step model (``suite.streaming.step_model``) run by a compiled step function."""

    def __init__(self, melody: MelodyModel) -> None:
        from suite.streaming import compiled_step, step_model

        super().__init__(melody.music.lookback)
        self.step = step_model(melody.model)
        self.run = compiled_step(self.step)

    def initial_states(self, batch: int) -> list[np.ndarray]:
        from suite.streaming import initial_states

        return [np.asarray(state) for state in initial_states(self.step, batch)]

    def _advance(self, histories: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        from suite.keras import tf

        output, new_states = self.run(tf.constant(self.step_input(histories)), [tf.constant(s) for s in states])
        return output.numpy()[:, 0].astype(np.float64), [s.numpy() for s in new_states]


class RuntimeScorer(StatefulScorer):
    """An exported step model (.tflite/.onnx) run by the device runtime: no TensorFlow, and a small
    fixed cost per call (the compiled Keras step pays TensorFlow's dispatch per event instead)."""

    def __init__(self, path: str | Path, lookback: bool, backend: str = "auto", **options: Any) -> None:
        super().__init__(lookback)
        from export.runtime import Runtime
        from suite.quiet import native_quiet

        self.path = Path(path)
        with native_quiet():  # LiteRT's "Created TensorFlow Lite XNNPACK delegate" line
            self.runtime = Runtime(str(path), backend=backend, **options)  # backend: e.g. "tflm" (music_drift.py)

    def initial_states(self, batch: int) -> list[np.ndarray]:
        return [np.zeros((batch,) + tuple(d or 1 for d in shape[1:]), np.float32)
                for shape in self.runtime.input_shapes[1:]]

    def _advance(self, histories: np.ndarray, states: list) -> tuple[np.ndarray, list]:
        outputs = self.runtime.run(self.step_input(histories), *states)
        probabilities = outputs[0].reshape(len(histories), -1).astype(np.float64)
        return probabilities, list(outputs[1:])


class WindowScorer:
    """P(next event) from the sequence model over the last ``attention_window`` events (not streamable)."""

    def __init__(self, melody: MelodyModel) -> None:
        from suite.keras import tf

        self.music = melody.music
        self.window = melody.music.attention_window
        self.predict = tf.function(lambda x: melody.model(x, training=False), reduce_retracing=True)

    def _next(self, histories: np.ndarray) -> np.ndarray:
        from suite.keras import tf

        recent = histories[:, -self.window:]
        inputs = np.zeros((len(histories), self.window), np.int32)  # one shape: one trace
        inputs[:, :recent.shape[1]] = recent  # right padding: causal attention never sees it
        outputs = self.predict(tf.constant(model_inputs(self.music, inputs))).numpy()
        return outputs[:, recent.shape[1] - 1].astype(np.float64)

    def start(self, histories: np.ndarray) -> tuple[np.ndarray, ScorerState]:
        return self._next(histories), ScorerState.of(histories)

    def advance(self, state: ScorerState, events: np.ndarray) -> tuple[np.ndarray, ScorerState]:
        extended = state.appended(events)
        return self._next(extended.histories), extended


def make_scorer(melody: MelodyModel, cache: CacheSettings | None = None) -> Any:
    """The exported step model when the melody has one, else the compiled Keras step (or window); mixed with
    a cache model of the melody so far when ``cache`` is on (generation; scoring leaves it None)."""
    if melody.step_file is not None:
        scorer = RuntimeScorer(melody.step_file, melody.music.lookback)
    else:
        scorer = StepScorer(melody) if melody.streamable else WindowScorer(melody)
    return CachedScorer(scorer, cache) if cache is not None and cache.on else scorer


# ------------------------------------------------------------------------------------ sampling


def adjust(probabilities: np.ndarray, temperature: float = 1.0, top_k: int | None = None) -> np.ndarray:
    """Rows of probabilities sharpened/flattened by ``temperature`` and cut to the ``top_k`` best."""
    logits = np.log(np.maximum(probabilities, PROBABILITY_FLOOR)) / temperature
    if top_k is not None and top_k < logits.shape[-1]:
        kth = np.sort(logits, axis=-1)[:, -top_k][:, None]
        logits = np.where(logits >= kth, logits, -np.inf)
    logits -= logits.max(axis=-1, keepdims=True)
    weights = np.exp(logits)
    return weights / weights.sum(axis=-1, keepdims=True)


def end_long_notes(probabilities: np.ndarray, histories: np.ndarray) -> np.ndarray:
    """Rows whose note has sounded MAX_NOTE_STEPS steps may not sustain it (NO_EVENT) any longer."""
    window = histories[:, -MAX_NOTE_STEPS:]
    if window.shape[1] < MAX_NOTE_STEPS:
        return probabilities
    held = (window[:, 0] >= FIRST_NOTE_ON) & (window[:, 1:] == NO_EVENT).all(axis=1)
    if not held.any():
        return probabilities
    probabilities = probabilities.copy()
    probabilities[held, NO_EVENT] = 0.0
    empty = held & (probabilities.sum(axis=-1) <= 0.0)
    probabilities[empty, NOTE_OFF] = 1.0
    return probabilities / probabilities.sum(axis=-1, keepdims=True)


def next_events(probabilities: np.ndarray, histories: np.ndarray, temperature: float, top_k: int | None,
                rng: np.random.Generator) -> np.ndarray:
    """One sampled event per row: no note held past MAX_NOTE_STEPS, then temperature and top-k."""
    return sample_rows(adjust(end_long_notes(probabilities, histories), temperature, top_k), rng)


def sample_rows(probabilities: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One event per row, by inverse-CDF sampling (one uniform draw per row: reproducible by seed)."""
    cumulative = np.cumsum(probabilities, axis=-1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((cumulative <= draws).sum(axis=-1), probabilities.shape[-1] - 1)


def primer_histories(melody: MelodyModel, primer: np.ndarray | None, count: int, rng: np.random.Generator,
                     prefix: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """(count, T) starting events and how many of the requested steps they already hold: the control tokens
    ``prefix`` (a conditioned model: it draws the first note itself), then the primer; else a first note
    drawn from the corpus's first events."""
    head = np.zeros(0, np.int64) if prefix is None else np.asarray(prefix, np.int64)
    if primer is not None and len(primer):
        return np.tile(np.concatenate([head, np.asarray(primer, np.int64)]), (count, 1)), 0
    if prefix is not None:
        return np.tile(head, (count, 1)), 0
    first = sample_rows(np.tile(melody.first_event_probabilities, (count, 1)), rng)
    return first[:, None].astype(np.int64), 1  # a drawn first note counts as a step


def sample(melody: MelodyModel, steps: int, primer: np.ndarray | None = None, count: int = 1,
           temperature: float = 1.0, top_k: int | None = None, seed: int | None = None,
           scorer: Any = None, prefix: np.ndarray | None = None) -> np.ndarray:
    """``count`` event sequences (count, len(primer) + steps): the primer, then ``steps`` sampled events
    (after the control tokens ``prefix`` for a conditioned model; they are not returned)."""
    rng = np.random.default_rng(seed)
    scorer = scorer or make_scorer(melody)
    histories, drawn = primer_histories(melody, primer, count, rng, prefix)
    probabilities, state = scorer.start(histories)
    for _ in range(steps - drawn):
        events = next_events(probabilities, state.histories, temperature, top_k, rng)
        probabilities, state = scorer.advance(state, events)
    return state.histories[:, 0 if prefix is None else len(prefix):]


@dataclass
class BeamScores:
    """Per-branch sums the rankings read: log-likelihood, and the pitch z-score's numerator and variance."""

    log_likelihood: np.ndarray
    pitch_excess: np.ndarray
    pitch_variance: np.ndarray

    @classmethod
    def zeros(cls, count: int) -> "BeamScores":
        return cls(np.zeros(count), np.zeros(count), np.zeros(count))

    def select(self, rows: np.ndarray) -> "BeamScores":
        return BeamScores(self.log_likelihood[rows], self.pitch_excess[rows], self.pitch_variance[rows])

    def added(self, probabilities: np.ndarray, events: np.ndarray) -> "BeamScores":
        """The sums after ``events`` drawn from ``probabilities`` (the model's, before temperature/top-k)."""
        picked = np.log(np.maximum(probabilities[np.arange(len(events)), events], PROBABILITY_FLOOR))
        onset = events >= FIRST_NOTE_ON
        pitches = probabilities[:, FIRST_NOTE_ON:]
        q = pitches / np.maximum(pitches.sum(axis=-1, keepdims=True), PROBABILITY_FLOOR)
        log_q = np.log(np.maximum(q, PROBABILITY_FLOOR))
        entropy = -(q * log_q).sum(axis=-1)
        variance = (q * log_q**2).sum(axis=-1) - entropy**2
        chosen = log_q[np.arange(len(events)), np.maximum(events - FIRST_NOTE_ON, 0)]
        return BeamScores(self.log_likelihood + picked,
                          self.pitch_excess + np.where(onset, chosen + entropy, 0.0),
                          self.pitch_variance + np.where(onset, variance, 0.0))


def rank_by_likelihood(scores: BeamScores) -> np.ndarray:
    return scores.log_likelihood


def rank_by_pitch(scores: BeamScores) -> np.ndarray:
    return scores.pitch_excess / np.sqrt(scores.pitch_variance + PITCH_VARIANCE_FLOOR)


PITCH_VARIANCE_FLOOR = 1e-3  # a branch with no onset yet scores 0, not 0/0
RANKINGS = {"pitch": rank_by_pitch, "likelihood": rank_by_likelihood}
DEFAULT_RANKING = "pitch"


def beam_search(melody: MelodyModel, steps: int, beam: int, primer: np.ndarray | None = None,
                temperature: float = 1.0, top_k: int | None = None, seed: int | None = None,
                scorer: Any = None, branch_factor: int = BRANCH_FACTOR,
                steps_per_iteration: int = STEPS_PER_ITERATION, ranking: str = DEFAULT_RANKING,
                prefix: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """The best of the sampled beams (melody_rnn's beam search, ranked by ``RANKINGS[ranking]``) and
    its log-likelihood under the model (after the control tokens ``prefix``, not returned)."""
    if ranking not in RANKINGS:
        raise ValueError(f"unknown beam ranking {ranking!r}; expected one of {sorted(RANKINGS)}")
    rank = RANKINGS[ranking]
    rng = np.random.default_rng(seed)
    scorer = scorer or make_scorer(melody)
    histories, drawn = primer_histories(melody, primer, 1, rng, prefix)
    added = steps - drawn
    probabilities, state = scorer.start(histories)
    scores = BeamScores.zeros(1)
    done = 0
    while done < added:
        rows = np.repeat(np.arange(len(scores.log_likelihood)), branch_factor)
        probabilities, state, scores = probabilities[rows], state.select(rows), scores.select(rows)
        for _ in range(min(steps_per_iteration, added - done)):
            events = next_events(probabilities, state.histories, temperature, top_k, rng)
            scores = scores.added(probabilities, events)
            probabilities, state = scorer.advance(state, events)
            done += 1
        keep = np.argsort(-rank(scores), kind="stable")[:beam]
        probabilities, state, scores = probabilities[keep], state.select(keep), scores.select(keep)
    return state.histories[0, 0 if prefix is None else len(prefix):], float(scores.log_likelihood[0])


def stepwise_log_probs(melody: MelodyModel, events: np.ndarray, scorer: Any = None,
                       prefix: np.ndarray | None = None) -> np.ndarray:
    """log P(events[t] | prefix, events[:t]) for t >= 1, computed step by step by the scorer."""
    scorer = scorer or make_scorer(melody)
    events = np.asarray(events, np.int64)
    head = np.zeros(0, np.int64) if prefix is None else np.asarray(prefix, np.int64)
    probabilities, state = scorer.start(np.concatenate([head, events[:1]])[None])
    log_probs = []
    for event in events[1:]:
        log_probs.append(np.log(max(probabilities[0, event], PROBABILITY_FLOOR)))
        probabilities, state = scorer.advance(state, np.array([event]))
    return np.array(log_probs)
