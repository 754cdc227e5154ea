"""Beam search over sampled branches on a toy model that collapses under melody_rnn's likelihood ranking:
held notes grow more predictable the longer they sound, so ranking branches by log-likelihood keeps holding.
The toy runs in numpy through the scorer interface (start/advance), so these tests need no trained model."""
from __future__ import annotations

import numpy as np
import pytest

from apps.music import generation
from apps.music.encoding import FIRST_NOTE_ON, NO_EVENT, VOCAB_SIZE, Note, decode, encode, note_on

C_MAJOR = (60, 62, 64, 65, 67, 69, 71, 72)
PRIMER = encode([Note(60, 0, 4), Note(64, 4, 8)]).astype(np.int64)
STEPS = 128  # 8 bars
SEEDS = range(10)


class HoldingToyScorer:
    """P(hold) rises from 0.5 to 0.95 over the first 8 steps of a note; a new note repeats the pitch two notes
    back with half the onset mass once a two-note loop has started (else 30%), else another C major pitch."""

    def probabilities(self, histories: np.ndarray) -> np.ndarray:
        out = np.zeros((len(histories), VOCAB_SIZE))
        for row, history in enumerate(histories):
            onsets = np.flatnonzero(history >= FIRST_NOTE_ON)
            pitches = history[onsets]
            hold = 0.5 + 0.45 * min(len(history) - onsets[-1], 8) / 8
            loop = pitches[-2] if len(pitches) >= 2 else pitches[-1]
            share = 0.5 if len(pitches) >= 3 and pitches[-1] == pitches[-3] else 0.3
            others = [note_on(pitch) for pitch in C_MAJOR if note_on(pitch) != loop]
            out[row, NO_EVENT] = hold
            out[row, loop] = (1 - hold) * share
            out[row, others] = (1 - hold) * (1 - share) / len(others)
        return out

    def start(self, histories):
        return self.probabilities(histories), generation.ScorerState.of(histories)

    def advance(self, state, events):
        extended = state.appended(events)
        return self.probabilities(extended.histories), extended


def melody_figures(events: np.ndarray) -> tuple[int, int, float]:
    """(notes, longest note in steps, distinct interval 4-grams / interval 4-grams)."""
    notes = decode(events)
    intervals = np.diff([note.pitch for note in notes])
    grams = [tuple(intervals[i:i + 4]) for i in range(len(intervals) - 3)]
    return len(notes), max(note.end - note.start for note in notes), len(set(grams)) / max(len(grams), 1)


def mean_figures(melodies) -> np.ndarray:
    return np.array([melody_figures(events) for events in melodies]).mean(axis=0)


@pytest.fixture(scope="module")
def toy():
    return HoldingToyScorer()


@pytest.fixture(scope="module")
def sampled(toy):
    return mean_figures(generation.sample(None, STEPS, PRIMER, count=len(SEEDS), seed=0, scorer=toy))


def beam_figures(toy, **search) -> np.ndarray:
    return mean_figures(generation.beam_search(None, STEPS, 4, PRIMER, seed=seed, scorer=toy, **search)[0]
                        for seed in SEEDS)


def test_likelihood_ranking_collapses_on_the_toy(toy, sampled):
    notes, longest, distinct = beam_figures(toy, ranking="likelihood")
    assert notes < 0.45 * sampled[0]  # about a third of the notes of sampling
    assert longest > 1.2 * sampled[1] and longest >= 45  # 3 bars of one note on average


def test_pitch_ranking_keeps_the_sampled_rhythm_and_variety(toy, sampled):
    notes, longest, distinct = beam_figures(toy)
    assert 28 <= sampled[0] <= 45  # the toy's own density: about 36 notes in 8 bars
    assert notes >= 0.85 * sampled[0]
    assert longest <= sampled[1]
    assert distinct >= 0.8 * sampled[2] and distinct >= 0.7


def test_beam_keeps_primer_and_length_and_is_reproducible(toy):
    events, score = generation.beam_search(None, 40, 3, PRIMER, seed=7, scorer=toy, branch_factor=3,
                                           steps_per_iteration=5)
    assert len(events) == len(PRIMER) + 40
    np.testing.assert_array_equal(events[:len(PRIMER)], PRIMER)
    expected = 0.0
    for length in range(len(PRIMER), len(events)):
        expected += np.log(toy.probabilities(events[None, :length])[0, events[length]])
    assert score == pytest.approx(expected, abs=1e-9)  # the returned score is the log-likelihood, whatever the ranking
    again, _ = generation.beam_search(None, 40, 3, PRIMER, seed=7, scorer=toy, branch_factor=3, steps_per_iteration=5)
    np.testing.assert_array_equal(events, again)


def test_pitch_score_is_a_zero_mean_z_score():
    probabilities = np.zeros((2, VOCAB_SIZE))
    probabilities[:, NO_EVENT] = 0.5
    probabilities[:, note_on(60)] = 0.375  # q = (0.75, 0.25) given an onset
    probabilities[:, note_on(62)] = 0.125
    scores = generation.BeamScores.zeros(2).added(probabilities, np.array([note_on(60), NO_EVENT]))
    entropy = -(0.75 * np.log(0.75) + 0.25 * np.log(0.25))
    variance = 0.75 * np.log(0.75) ** 2 + 0.25 * np.log(0.25) ** 2 - entropy ** 2
    np.testing.assert_allclose(scores.pitch_excess, [np.log(0.75) + entropy, 0.0])
    np.testing.assert_allclose(scores.pitch_variance, [variance, 0.0])
    np.testing.assert_allclose(scores.log_likelihood, [np.log(0.375), np.log(0.5)])
    np.testing.assert_allclose(generation.rank_by_pitch(scores)[0], (np.log(0.75) + entropy) / np.sqrt(variance + 1e-3))


def test_unknown_ranking_is_a_value_error(toy):
    with pytest.raises(ValueError, match="'loudest'"):
        generation.beam_search(None, 8, 2, PRIMER, scorer=toy, ranking="loudest")
