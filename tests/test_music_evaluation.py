"""The evaluation statistics (apps/music/evaluation.py) on hand-made melodies with hand-computed figures."""
from __future__ import annotations

import numpy as np
import pytest

from apps.music import evaluation
from apps.music.encoding import Note, encode

C_MAJOR_UP = (60, 62, 64, 65, 67, 69, 71, 72)


def eighths(pitches, length=8) -> np.ndarray:
    return encode([Note(pitch, i * length, (i + 1) * length) for i, pitch in enumerate(pitches)])


def test_interval_gram_share_and_bar_repetition():
    # intervals 2 2 -2 -2 2 2 -2 -2: five 4-grams, the first comes back at the end
    assert evaluation.interval_gram_share([60, 62, 64, 62, 60, 62, 64, 62, 60]) == pytest.approx(4 / 5)
    assert evaluation.interval_gram_share([60, 62, 64]) == 1.0  # no 4-gram at all
    a, b = eighths([60, 62]), eighths([64, 65])  # one bar each
    assert evaluation.bar_repetition(np.concatenate([a, b, a, a])) == pytest.approx(2 / 3)
    assert evaluation.bar_repetition(np.concatenate([a, b])) == 0.0
    assert evaluation.bar_repetition(a) == 0.0  # one bar: nothing before it


def test_features_of_a_scale_played_twice():
    events = eighths(C_MAJOR_UP * 2)  # 16 eighth notes (8 steps each): 8 bars, C major
    assert len(events) == evaluation.EXCERPT_EVENTS
    features = evaluation.melody_features(events)
    np.testing.assert_array_equal(features.pitch_classes, [4, 0, 2, 0, 2, 2, 0, 2, 0, 2, 0, 2])  # relative to C
    expected_intervals = np.zeros(evaluation.INTERVAL_BINS)
    expected_intervals[12 + 2], expected_intervals[12 + 1], expected_intervals[0] = 10, 4, 1  # +2 x10, +1 x4, -12
    np.testing.assert_array_equal(features.intervals, expected_intervals)
    assert features.durations[7] == 16 and features.durations.sum() == 16
    assert features.notes_per_bar == 2.0 and features.pitch_range == 12 and features.in_key_percent == 100.0
    assert features.longest_note == 8
    assert features.distinct_grams == pytest.approx(8 / 12)  # 12 interval 4-grams, the last 4 repeat the first 4
    assert features.repetition == pytest.approx(4 / 7)  # bars 5-8 repeat bars 1-4


def test_summary_distances_and_goals():
    scale = evaluation.melody_features(eighths(C_MAJOR_UP * 2))
    quarters = evaluation.melody_features(eighths((60, 62, 64, 65, 67, 65, 64, 62), length=16))  # 8 whole notes
    corpus = evaluation.set_summary([scale, scale])
    other = evaluation.set_summary([quarters])
    assert corpus["notes_per_bar"] == 2.0 and other["notes_per_bar"] == 1.0 and other["longest_note"] == 16
    assert corpus["durations_histogram"][7] == 1.0 and other["durations_histogram"][15] == 1.0
    found = evaluation.distances(corpus, corpus)
    assert found == {"pitch_classes_tv": 0.0, "intervals_tv": 0.0, "durations_tv": 0.0}
    assert evaluation.distances(corpus, other)["durations_tv"] == 1.0  # all 8ths against all whole notes
    other["two_sample_accuracy"] = 0.6
    goals = evaluation.goals(corpus, other)
    assert not goals["density_within_20pct"]  # 1 note per bar against 2
    assert not goals["range_within_20pct"]  # 7 semitones against 12: more than 20% (2.4) off
    assert goals["in_key_within_5_points"] and goals["no_note_over_4_bars"] and goals["two_sample_at_most_0.65"]


def walk(rng: np.random.Generator) -> np.ndarray:
    """8 bars of a stepwise walk on the C major scale in 8ths and quarters."""
    degree, step, notes = 3, 0, []
    while step < evaluation.EXCERPT_EVENTS:
        length = min(int(rng.choice([4, 8])), evaluation.EXCERPT_EVENTS - step)
        notes.append(Note(C_MAJOR_UP[degree], step, step + length))
        step += length
        degree = int(np.clip(degree + rng.choice([-1, 1]), 0, len(C_MAJOR_UP) - 1))
    return encode(notes)


def test_two_sample_classifier_separates_different_and_not_like_melodies():
    rng = np.random.default_rng(0)
    features = [evaluation.melody_features(walk(rng)) for _ in range(80)]
    same = evaluation.two_sample_accuracy(features[:40], features[40:80])
    leaps = [evaluation.melody_features(eighths(rng.choice(range(55, 80), 16))) for _ in range(40)]
    different = evaluation.two_sample_accuracy(features[:40], leaps)
    assert different >= 0.95  # random chromatic leaps against stepwise C major walks
    assert same <= 0.7  # two halves of one source: near chance (0.5)
    with pytest.raises(ValueError, match="at least 5"):
        evaluation.two_sample_accuracy(features[:3], leaps[:3])


def test_corpus_excerpts_keep_only_whole_8_bar_openings():
    tunes = [np.arange(200) % 3, np.arange(100) % 3, np.arange(128) % 3]
    excerpts = evaluation.corpus_excerpts(tunes)
    assert [len(e) for e in excerpts] == [128, 128]
    np.testing.assert_array_equal(excerpts[0], tunes[0][:128])
