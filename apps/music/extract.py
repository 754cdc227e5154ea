"""From a music21 stream (ABC or MIDI) to quantised monophonic notes on the 16th-note grid.

Both the corpus (which skips tunes that fail) and primers (which report them to the user) use this;
the reason a tune is rejected travels in ``ExtractionError.reason``, so that bulk parsing can count
the reasons.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from apps.music import encoding
from apps.music.encoding import STEPS_PER_QUARTER, Note, fold_into_range, validate_notes

MIN_NOTES = 4  # shorter "tunes" are fragments or empty files, not melodies to learn from

# Reasons a tune is skipped, counted by the corpus builder.
REASON_UNPARSABLE = "unparsable"
REASON_POLYPHONIC = "polyphonic"
REASON_UNQUANTISABLE = "unquantisable"
REASON_OUT_OF_RANGE = "out of range"
REASON_TOO_SHORT = "too short"


class ExtractionError(ValueError):
    """A stream that gives no usable melody; ``reason`` is one of the REASON_* constants."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def to_step(quarter_length: Any) -> int:
    """The nearest grid step of a music21 offset (quarter lengths, float or Fraction)."""
    return int(round(Fraction(quarter_length).limit_denominator(10_000) * STEPS_PER_QUARTER))


def sounding_notes(stream: Any) -> list[tuple[int, int, int, int]]:
    """(part, MIDI pitch, start step, end step) of every pitched sound; grace notes are dropped.

    Chords give one entry per pitch. Ties are merged first, so a tied note is one note.
    """
    from music21 import stream as m21stream

    stream = stream.stripTies(inPlace=False)
    parts = list(stream.parts) if isinstance(stream, m21stream.Score) and stream.parts else [stream]
    found = []
    for part_index, part in enumerate(parts):
        for element in part.flatten().notes:
            if element.duration.isGrace or element.quarterLength == 0:
                continue  # grace notes take no time on the grid
            start = to_step(element.offset)
            end = to_step(element.offset + element.quarterLength)
            for pitch in element.pitches:
                found.append((part_index, int(pitch.midi), start, end))
    return found


def is_polyphonic(found: list[tuple[int, int, int, int]]) -> bool:
    """True when two sounds overlap in time (chords, several voiced parts, overlapping notes)."""
    spans = sorted((start, end) for _, _, start, end in found if end > start)
    return any(later_start < earlier_end for (_, earlier_end), (later_start, _) in zip(spans, spans[1:]))


def top_line(found: list[tuple[int, int, int, int]]) -> list[Note]:
    """The highest sounding pitch at each onset, each cut where the next kept note starts."""
    highest_at: dict[int, tuple[int, int]] = {}
    for _, pitch, start, end in found:
        if end > start and (start not in highest_at or pitch > highest_at[start][0]):
            highest_at[start] = (pitch, end)
    notes: list[Note] = []
    for start in sorted(highest_at):
        pitch, end = highest_at[start]
        if notes and notes[-1].end > start:
            if pitch < notes[-1].pitch and notes[-1].end >= end:
                continue  # a lower voice inside a held higher note stays hidden
            notes[-1] = notes[-1]._replace(end=start)
        notes.append(Note(pitch, start, end))
    return notes


def melody_from_stream(stream: Any, allow_polyphony: bool = False,
                       min_notes: int = MIN_NOTES) -> tuple[list[Note], bool]:
    """Quantised, range-folded monophonic notes of ``stream``, and whether polyphony was reduced.

    With ``allow_polyphony`` a polyphonic stream gives its top line; otherwise it is rejected.
    Raises ExtractionError (polyphonic, unquantisable, out of range, too short).
    """
    found = sounding_notes(stream)
    if any(end <= start for _, _, start, end in found):
        raise ExtractionError(REASON_UNQUANTISABLE, "a note is shorter than a 16th-note step")
    polyphonic = is_polyphonic(found)
    if polyphonic and not allow_polyphony:
        raise ExtractionError(REASON_POLYPHONIC, "notes overlap in time")
    notes = top_line(found) if polyphonic else validate_notes([Note(p, s, e) for _, p, s, e in found])
    if len(notes) < min_notes:
        raise ExtractionError(REASON_TOO_SHORT, f"{len(notes)} notes, at least {min_notes} needed")
    folded = fold_into_range(notes)
    if folded is None:
        raise ExtractionError(REASON_OUT_OF_RANGE, "the melody spans more than the encoded range")
    first_step = min(note.start for note in folded)
    # Melodies start at step 0: a leading rest carries nothing to learn.
    shifted = [Note(note.pitch, note.start - first_step, note.end - first_step) for note in folded]
    return validate_notes(shifted), polyphonic


@dataclass(frozen=True)
class TuneSource:
    """One tune to parse: an ABC text (one X: block) or a MIDI file path."""

    tune_id: str
    kind: str  # "abc" or "midi"
    payload: str  # ABC text or file path


def parse_source(source: TuneSource) -> tuple[str, np.ndarray | None, str | None]:
    """(tune id, events, None) for a usable tune, or (tune id, None, skip reason). Runs in workers."""
    from music21 import converter

    try:
        stream = converter.parse(source.payload, format="abc" if source.kind == "abc" else "midi")
        notes, _ = melody_from_stream(stream)
    except ExtractionError as error:
        return source.tune_id, None, error.reason
    except Exception:  # music21 raises many types on malformed input; all mean "unparsable"
        return source.tune_id, None, REASON_UNPARSABLE
    return source.tune_id, encoding.encode(notes), None
