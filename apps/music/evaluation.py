"""Generated melodies against held-out corpus melodies, per sampling mode (``evaluate --samples N``).

Every melody is an 8-bar excerpt (128 events): generated ones are 8 bars long, corpus ones are the first
8 bars of held-out tunes at least that long. Per melody (``melody_features``):

- key-relative pitch classes: pitch class minus the major tonic of the key music21 estimates (of its
  relative major for a minor key, so the frame does not hinge on the major/minor call; generated and
  corpus melodies come in different keys: the histogram compares scale-degree use, not keys);
- intervals between consecutive notes (-12..12 semitones, wider ones in the end bins) and note durations;
- note density (notes per bar), pitch range, in-key share (music21's key estimate, as ``stats``);
- the longest note (steps), the distinct share of interval 4-grams, and phrase repetition: the share of
  bars (16 events) that repeat an earlier bar of the melody exactly.

A set of melodies is compared with the corpus by total variation of the pooled histograms and by the
means. The two-sample test trains a logistic regression on those per-melody features to tell generated
from corpus excerpts and reports its accuracy on held-out folds (0.5: indistinguishable).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from apps.music.encoding import STEPS_PER_BAR, decode
from apps.music import stats
from apps.music.stats import DURATION_BINS, STUCK_NOTE_STEPS, key_of, total_variation

EXCERPT_BARS = 8
EXCERPT_EVENTS = EXCERPT_BARS * STEPS_PER_BAR
MAX_INTERVAL = 12  # an octave each way; wider leaps share the end bins
INTERVAL_BINS = 2 * MAX_INTERVAL + 1
GRAM = 4  # interval n-grams for the distinct share
CLASSIFIER_FOLDS = 5
CLASSIFIER_SEED = 0
# Goals (issue 18, item 4): relative tolerance of density and range, in-key points, distinct 4-gram share
# relative to the corpus's, the longest note, and the two-sample classifier's accuracy for default sampling.
RELATIVE_TOLERANCE = 0.2
IN_KEY_POINTS = 5.0
DISTINCT_RATIO = 0.8
LONGEST_NOTE_STEPS = STUCK_NOTE_STEPS  # four 4/4 bars
MAX_CLASSIFIER_ACCURACY = 0.65


@dataclass
class MelodyFeatures:
    """What the evaluation measures of one melody."""

    pitch_classes: np.ndarray  # (12,) counts of key-relative pitch classes
    intervals: np.ndarray  # (INTERVAL_BINS,) counts
    durations: np.ndarray  # (DURATION_BINS,) counts
    notes_per_bar: float
    pitch_range: int
    in_key_percent: float
    longest_note: int
    distinct_grams: float
    repetition: float

    def vector(self) -> np.ndarray:
        """Per-melody features for the two-sample classifier (histograms as shares)."""
        share = lambda counts: counts / max(counts.sum(), 1)  # noqa: E731
        return np.concatenate([share(self.pitch_classes), share(self.intervals), share(self.durations),
                               [self.notes_per_bar, self.pitch_range, self.in_key_percent / 100.0,
                                self.longest_note / STEPS_PER_BAR, self.distinct_grams, self.repetition]])


def interval_gram_share(pitches: Sequence[int], n: int = GRAM) -> float:
    """Distinct interval n-grams over all interval n-grams (1.0 when the melody has none)."""
    intervals = np.diff(np.asarray(pitches, int))
    grams = [tuple(intervals[i:i + n]) for i in range(len(intervals) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0


def bar_repetition(events: np.ndarray, bar: int = STEPS_PER_BAR) -> float:
    """Share of whole bars (after the first) that equal an earlier bar event for event."""
    bars = [tuple(events[start:start + bar]) for start in range(0, len(events) - bar + 1, bar)]
    if len(bars) < 2:
        return 0.0
    return sum(bars[i] in bars[:i] for i in range(1, len(bars))) / (len(bars) - 1)


def melody_features(events: np.ndarray) -> MelodyFeatures:
    """The features of one melody's events (at least one note)."""
    events = np.asarray(events)
    notes = decode(events)
    pitches = [note.pitch for note in notes]
    key = key_of(notes)
    tonic = (key.relative if key.mode == "minor" else key).tonic.pitchClass  # C major and A minor: one frame
    scale = {pitch.pitchClass for pitch in key.getScale().getPitches()}
    intervals = np.clip(np.diff(pitches), -MAX_INTERVAL, MAX_INTERVAL) + MAX_INTERVAL
    durations = np.clip([note.end - note.start for note in notes], 1, DURATION_BINS) - 1
    return MelodyFeatures(
        pitch_classes=np.bincount([(pitch - tonic) % 12 for pitch in pitches], minlength=12).astype(float),
        intervals=np.bincount(intervals.astype(int), minlength=INTERVAL_BINS).astype(float),
        durations=np.bincount(durations, minlength=DURATION_BINS).astype(float),
        notes_per_bar=len(notes) * STEPS_PER_BAR / len(events),
        pitch_range=max(pitches) - min(pitches),
        in_key_percent=100.0 * sum(pitch % 12 in scale for pitch in pitches) / len(pitches),
        longest_note=max(note.end - note.start for note in notes),
        distinct_grams=interval_gram_share(pitches),
        repetition=bar_repetition(events))


def set_summary(features: Sequence[MelodyFeatures]) -> dict[str, Any]:
    """Pooled histograms (shares) and mean figures of a set of melodies."""
    pooled = lambda name: sum(getattr(f, name) for f in features)  # noqa: E731
    mean = lambda name: float(np.mean([getattr(f, name) for f in features]))  # noqa: E731
    return {"melodies": len(features),
            **{f"{name}_histogram": (pooled(name) / max(pooled(name).sum(), 1)).round(4).tolist()
               for name in ("pitch_classes", "intervals", "durations")},
            **{name: mean(name) for name in ("notes_per_bar", "pitch_range", "in_key_percent", "distinct_grams",
                                             "repetition")},
            "longest_note": int(max(f.longest_note for f in features))}


def distances(corpus: dict[str, Any], generated: dict[str, Any]) -> dict[str, float]:
    """Total variation distances of the pooled histograms (0 identical, 1 disjoint)."""
    return {f"{name}_tv": total_variation(corpus[f"{name}_histogram"], generated[f"{name}_histogram"])
            for name in ("pitch_classes", "intervals", "durations")}


def goals(corpus: dict[str, Any], generated: dict[str, Any]) -> dict[str, bool]:
    """Issue 18's goals for one sampling mode (the classifier's is added where it was measured)."""
    within = lambda name: abs(generated[name] - corpus[name]) <= RELATIVE_TOLERANCE * corpus[name]  # noqa: E731
    return {"density_within_20pct": bool(within("notes_per_bar")),
            "range_within_20pct": bool(within("pitch_range")),
            "in_key_within_5_points": bool(abs(generated["in_key_percent"] - corpus["in_key_percent"]) <= IN_KEY_POINTS),
            "no_note_over_4_bars": bool(generated["longest_note"] <= LONGEST_NOTE_STEPS),
            "distinct_grams_at_least_80pct": bool(generated["distinct_grams"] >= DISTINCT_RATIO * corpus["distinct_grams"]),
            "two_sample_at_most_0.65": bool(generated["two_sample_accuracy"] <= MAX_CLASSIFIER_ACCURACY)}


def two_sample_accuracy(real: Sequence[MelodyFeatures], generated: Sequence[MelodyFeatures],
                        folds: int = CLASSIFIER_FOLDS, seed: int = CLASSIFIER_SEED) -> float:
    """Held-out accuracy (mean over stratified folds) of a logistic regression telling generated from
    real melodies, on equally many of each."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    count = min(len(real), len(generated))
    if count < folds:
        raise ValueError(f"two-sample test needs at least {folds} melodies of each kind, got {count}")
    x = np.stack([f.vector() for f in list(real[:count]) + list(generated[:count])])
    y = np.repeat([0, 1], count)
    classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    splits = StratifiedKFold(folds, shuffle=True, random_state=seed)
    return float(cross_val_score(classifier, x, y, cv=splits, scoring="accuracy").mean())


def corpus_excerpts(tunes: Sequence[np.ndarray], events: int | None = None) -> list[np.ndarray]:
    """The first ``events`` (default EXCERPT_EVENTS) events of every tune at least that long (shorter tunes
    would differ in length from the generated melodies)."""
    events = EXCERPT_EVENTS if events is None else events
    return [np.asarray(excerpt) for excerpt in stats.corpus_excerpts(tunes, events) if len(excerpt) == events]


def compare_modes(corpus_events: Sequence[np.ndarray], generated: dict[str, Sequence[np.ndarray]]) -> dict[str, Any]:
    """The corpus summary, and per sampling mode: summary, distances, goals and two-sample accuracy."""
    real = [melody_features(events) for events in corpus_events]
    corpus = set_summary(real)
    record: dict[str, Any] = {"corpus": corpus, "modes": {}}
    for mode, melodies in generated.items():
        features = [melody_features(events) for events in melodies if decode(events)]
        summary = set_summary(features)
        summary.update(distances(corpus, summary), two_sample_accuracy=two_sample_accuracy(real, features))
        record["modes"][mode] = {**summary, "goals": goals(corpus, summary)}
    return record


# ------------------------------------------------------------------------ generation per sampling mode
SAMPLE_SEED = 0


@dataclass(frozen=True)
class ModeSettings:
    """The knobs of the sampling modes: temperature (all but greedy), K of top-k, beams of beam."""

    temperature: float = 1.0
    top_k: int = 8
    beam: int = 4
    cache: Any = None  # apps.music.cache.CacheSettings of generation (None: off)


def drawn_prefixes(melody, count: int) -> list:
    """Control tokens per melody for a conditioned model (drawn like the training tunes' labels), else None each."""
    if not getattr(melody, "conditioned", False):
        return [None] * count
    from apps.music.conditions import draw_prefix

    rng = np.random.default_rng([SAMPLE_SEED, 1])
    return [draw_prefix(melody.config["condition_counts"], rng) for _ in range(count)]


def sampled(melody, scorer, count: int, **sampling) -> np.ndarray:
    """``count`` sampled melodies: one batch, or one melody per drawn condition for a conditioned model."""
    from apps.music.generation import sample

    prefixes = drawn_prefixes(melody, count)
    if prefixes[0] is None:
        return sample(melody, EXCERPT_EVENTS, count=count, seed=SAMPLE_SEED, scorer=scorer, **sampling)
    return np.stack([sample(melody, EXCERPT_EVENTS, seed=SAMPLE_SEED + index, scorer=scorer, prefix=prefix,
                            **sampling)[0] for index, prefix in enumerate(prefixes)])


def greedy(melody, scorer, count: int, settings: ModeSettings) -> np.ndarray:
    """The likeliest event every step (top-1), from first notes drawn like sampling's."""
    return sampled(melody, scorer, count, top_k=1)


def sampling(melody, scorer, count: int, settings: ModeSettings) -> np.ndarray:
    return sampled(melody, scorer, count, temperature=settings.temperature)


def top_k(melody, scorer, count: int, settings: ModeSettings) -> np.ndarray:
    return sampled(melody, scorer, count, temperature=settings.temperature, top_k=settings.top_k)


def beam(melody, scorer, count: int, settings: ModeSettings) -> np.ndarray:
    from apps.music.generation import beam_search

    return np.stack([beam_search(melody, EXCERPT_EVENTS, settings.beam, temperature=settings.temperature,
                                 seed=SAMPLE_SEED + index, scorer=scorer, prefix=prefix)[0]
                     for index, prefix in enumerate(drawn_prefixes(melody, count))])


SAMPLING_MODES = {"greedy": greedy, "sampling": sampling, "top-k": top_k, "beam": beam}


def generate_modes(melody, modes: Sequence[str], count: int, settings: ModeSettings) -> dict[str, np.ndarray]:
    """``count`` 8-bar melodies per sampling mode, all through one scorer."""
    from apps.music.generation import make_scorer

    scorer = make_scorer(melody, settings.cache)
    return {mode: SAMPLING_MODES[mode](melody, scorer, count, settings) for mode in modes}


TABLE_ROWS = (("melodies", "melodies", "{:.0f}"), ("notes per bar", "notes_per_bar", "{:.2f}"),
              ("pitch range (semitones)", "pitch_range", "{:.1f}"), ("in-key notes %", "in_key_percent", "{:.1f}"),
              ("longest note (16ths)", "longest_note", "{:.0f}"), ("distinct interval 4-grams", "distinct_grams", "{:.3f}"),
              ("bars repeating a bar", "repetition", "{:.3f}"), ("pitch-class TV distance", "pitch_classes_tv", "{:.3f}"),
              ("interval TV distance", "intervals_tv", "{:.3f}"), ("duration TV distance", "durations_tv", "{:.3f}"),
              ("two-sample accuracy", "two_sample_accuracy", "{:.3f}"))


def format_modes(record: dict[str, Any]) -> str:
    """The side-by-side table of the corpus and each sampling mode, then the goals met."""
    modes = record["modes"]
    lines = [f"{'':28}{'corpus':>10}" + "".join(f"{mode:>12}" for mode in modes)]
    for label, key, form in TABLE_ROWS:
        corpus = record["corpus"].get(key)
        cells = [form.format(corpus) if corpus is not None else "-"] + [form.format(m[key]) for m in modes.values()]
        lines.append(f"{label:28}{cells[0]:>10}" + "".join(f"{cell:>12}" for cell in cells[1:]))
    for goal in next(iter(modes.values()))["goals"] if modes else ():
        lines.append(f"{goal:28}{'':>10}" + "".join(f"{'yes' if m['goals'][goal] else 'NO':>12}" for m in modes.values()))
    return "\n".join(lines)
