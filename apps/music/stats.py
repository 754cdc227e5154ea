"""Melody statistics, to compare generated melodies with the corpus.

- in-key share: the share of notes whose pitch class is in the key music21 estimates for the melody
  (its default key analysis), in percent;
- pitch range: highest minus lowest pitch, in semitones;
- note durations: a histogram over 16th-note steps, compared by total variation distance;
- defects: stuck notes (held absurdly long) and zero-length notes.
"""
from __future__ import annotations

from typing import Any, Sequence

import numpy as np

from apps.music.encoding import STEPS_PER_BAR, STEPS_PER_QUARTER, Note, decode

DURATION_BINS = 16  # durations of 1..16 steps (up to a whole note) get a bin each; longer share the last
STUCK_NOTE_STEPS = 16 * STEPS_PER_QUARTER  # four 4/4 bars of one note: a stuck note, not a melody


def key_of(notes: Sequence[Note]) -> Any:
    """music21's key estimate (a ``music21.key.Key``) for the sounding notes (at least one)."""
    from apps.music.midi import melody_stream

    return melody_stream([note for note in notes if note.end > note.start]).analyze("key")


def in_key_share(notes: Sequence[Note]) -> float:
    """Percent of notes in the key music21 estimates for the melody (NaN for no notes)."""
    if not any(note.end > note.start for note in notes):  # zero-length notes cannot enter a stream
        return float("nan")
    key = key_of(notes)
    scale_classes = {pitch.pitchClass for pitch in key.getScale().getPitches()}
    return 100.0 * sum(note.pitch % 12 in scale_classes for note in notes) / len(notes)


def duration_histogram(melodies: Sequence[Sequence[Note]]) -> np.ndarray:
    """Share of notes per duration bin: index i holds i+1 steps; the last bin holds longer notes too."""
    durations = [note.end - note.start for notes in melodies for note in notes]
    counts = np.zeros(DURATION_BINS)
    for duration in durations:
        counts[min(max(duration, 1), DURATION_BINS) - 1] += 1
    return counts / max(counts.sum(), 1)


def total_variation(first: np.ndarray, second: np.ndarray) -> float:
    """Half the L1 distance of two distributions: 0 identical, 1 disjoint."""
    return float(0.5 * np.abs(np.asarray(first) - np.asarray(second)).sum())


def melody_statistics(melodies: Sequence[Sequence[Note]], key_sample: int | None = None) -> dict:
    """Aggregate statistics of many melodies; key analysis on the first ``key_sample`` only (it is slow)."""
    melodies = [list(notes) for notes in melodies if len(notes)]
    ranges = [max(n.pitch for n in notes) - min(n.pitch for n in notes) for notes in melodies]
    keyed = melodies if key_sample is None else melodies[:key_sample]
    shares = [in_key_share(notes) for notes in keyed]
    all_notes = [note for notes in melodies for note in notes]
    return {
        "melodies": len(melodies),
        "notes": len(all_notes),
        "in_key_percent": float(np.mean(shares)) if shares else float("nan"),
        "pitch_range_mean": float(np.mean(ranges)) if ranges else float("nan"),
        "pitch_range_median": float(np.median(ranges)) if ranges else float("nan"),
        "lowest_pitch": min((n.pitch for n in all_notes), default=None),
        "highest_pitch": max((n.pitch for n in all_notes), default=None),
        "mean_duration_steps": float(np.mean([n.end - n.start for n in all_notes])) if all_notes else float("nan"),
        "duration_histogram": duration_histogram(melodies).round(4).tolist(),
        "stuck_notes": sum(n.end - n.start >= STUCK_NOTE_STEPS for n in all_notes),
        "zero_length_notes": sum(n.end <= n.start for n in all_notes),
    }


def compare(corpus: dict, generated: dict) -> dict:
    """The differences that the quality goals name (generated minus corpus)."""
    return {
        "in_key_points": generated["in_key_percent"] - corpus["in_key_percent"],
        "pitch_range_mean": generated["pitch_range_mean"] - corpus["pitch_range_mean"],
        "duration_total_variation": total_variation(corpus["duration_histogram"], generated["duration_histogram"]),
    }


def format_comparison(corpus: dict, generated: dict) -> str:
    """A small table of corpus vs generated statistics, for the terminal."""
    rows = [("melodies", "melodies", "{:.0f}"), ("in-key notes %", "in_key_percent", "{:.1f}"),
            ("pitch range (mean semitones)", "pitch_range_mean", "{:.1f}"),
            ("mean note length (16ths)", "mean_duration_steps", "{:.2f}"),
            ("stuck notes", "stuck_notes", "{:.0f}"), ("zero-length notes", "zero_length_notes", "{:.0f}")]
    lines = [f"{'':30} {'corpus':>10} {'generated':>10}"]
    for label, key, form in rows:
        lines.append(f"{label:30} {form.format(corpus[key]):>10} {form.format(generated[key]):>10}")
    tv = total_variation(corpus["duration_histogram"], generated["duration_histogram"])
    lines.append(f"{'duration distribution TV dist.':30} {tv:>21.3f}")
    return "\n".join(lines)


# ------------------------------------------------------------------ generated melodies vs the corpus
SAMPLE_BARS = 8  # what `generate` writes by default; corpus tunes have a median of ~160 events (10 bars)
KEY_SAMPLE = 200  # melodies whose key music21 analyses (about 20 ms each)
SAMPLE_SEED = 0


def generated_notes(melody, count: int, temperature: float, top_k: int | None = None) -> list[list[Note]]:
    """Notes of ``count`` sampled melodies of SAMPLE_BARS bars (one batch, fixed seed)."""
    from apps.music.generation import sample

    events = sample(melody, SAMPLE_BARS * STEPS_PER_BAR, count=count, temperature=temperature, top_k=top_k,
                    seed=SAMPLE_SEED)
    return [decode(row) for row in events]


def corpus_excerpts(tunes: Sequence[np.ndarray], events: int | None = None) -> list[np.ndarray]:
    """The first ``events`` events of each tune (default SAMPLE_BARS bars; shorter tunes whole): measured
    like generated melodies. Whole tunes would give longer melodies (a wider pitch range, a steadier key
    estimate) than the 8-bar samples they are compared with."""
    events = SAMPLE_BARS * STEPS_PER_BAR if events is None else events
    return [tune[:events] for tune in tunes]


def statistics_record(corpus_tunes: Sequence[np.ndarray], generated: Sequence[Sequence[Note]]) -> dict:
    """Statistics of the corpus excerpts and of the generated melodies, and their differences."""
    corpus_stats = melody_statistics([decode(events) for events in corpus_excerpts(corpus_tunes)], key_sample=KEY_SAMPLE)
    generated_stats = melody_statistics(generated, key_sample=KEY_SAMPLE)
    return {"corpus": corpus_stats, "generated": generated_stats, "difference": compare(corpus_stats, generated_stats)}
