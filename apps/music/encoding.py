"""Monophonic melody events on a 16th-note grid, in the style of Magenta's melody_rnn.

A melody is a list of notes ``(pitch, start_step, end_step)`` with MIDI pitches and steps of one
16th note. Its event sequence has one integer token per step:

- ``NO_EVENT`` (0): nothing changes; the sounding note (or the rest) goes on;
- ``NOTE_OFF`` (1): the sounding note stops; a rest begins;
- ``NOTE_ON`` (2 + pitch - MIN_PITCH): a new note starts (and ends the previous one).

The sequence is as long as the melody (the last note's end step): the last note lasts until the
end of the sequence, so ``decode(encode(notes)) == notes`` exactly. See docs/music.md.
"""
from __future__ import annotations

from typing import Iterable, NamedTuple, Sequence

import numpy as np

STEPS_PER_QUARTER = 4  # a 16th-note grid, as Magenta's default quantisation
STEPS_PER_BAR = 4 * STEPS_PER_QUARTER  # 4/4 bars: `--bars` and the lookback features count in these
MIN_PITCH = 48  # C3: the range of Magenta's melody_rnn, which folk melodies fit after octave shifts
MAX_PITCH = 84  # C6, inclusive
NO_EVENT = 0
NOTE_OFF = 1
FIRST_NOTE_ON = 2
NUM_PITCHES = MAX_PITCH - MIN_PITCH + 1
VOCAB_SIZE = FIRST_NOTE_ON + NUM_PITCHES  # 39 tokens
EVENT_DTYPE = np.int8  # every token fits in one byte, which keeps the corpus cache small
SEMITONES_PER_OCTAVE = 12


class Note(NamedTuple):
    """One note: MIDI pitch, first step, and the step where it stops (exclusive)."""

    pitch: int
    start: int
    end: int


def note_on(pitch: int) -> int:
    """The token that starts ``pitch``; ValueError outside [MIN_PITCH, MAX_PITCH]."""
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise ValueError(f"pitch {pitch} is outside the encoded range {MIN_PITCH}..{MAX_PITCH}")
    return FIRST_NOTE_ON + pitch - MIN_PITCH


def token_pitch(token: int) -> int | None:
    """The MIDI pitch of a NOTE_ON token, None for NO_EVENT and NOTE_OFF."""
    if not 0 <= token < VOCAB_SIZE:
        raise ValueError(f"token {token} is outside the vocabulary 0..{VOCAB_SIZE - 1}")
    return None if token < FIRST_NOTE_ON else MIN_PITCH + token - FIRST_NOTE_ON


def token_name(token: int) -> str:
    """A readable name: 'none', 'off' or the pitch's MIDI number, e.g. 'on60'."""
    pitch = token_pitch(token)
    if pitch is None:
        return "none" if token == NO_EVENT else "off"
    return f"on{pitch}"


def validate_notes(notes: Sequence[Note]) -> list[Note]:
    """Notes sorted by start; ValueError for zero-length, negative or overlapping notes."""
    ordered = sorted((Note(*note) for note in notes), key=lambda note: (note.start, note.end))
    previous_end = 0
    for note in ordered:
        if note.start < 0 or note.end <= note.start:
            raise ValueError(f"note {tuple(note)} has no positive length on the grid")
        if note.start < previous_end:
            raise ValueError(f"note {tuple(note)} overlaps the previous note: the melody is not monophonic")
        previous_end = note.end
    return ordered


def encode(notes: Iterable[Sequence[int]], num_steps: int | None = None) -> np.ndarray:
    """Events of a monophonic melody; ``num_steps`` longer than the melody adds a NOTE_OFF and rest.

    ValueError for overlapping or zero-length notes and pitches outside the range (use
    ``fold_into_range`` first).
    """
    ordered = validate_notes(list(notes))  # type: ignore[arg-type]
    length = ordered[-1].end if ordered else 0
    if num_steps is None:
        num_steps = length
    if num_steps < length:
        raise ValueError(f"num_steps {num_steps} is shorter than the melody ({length} steps)")
    events = np.full(num_steps, NO_EVENT, dtype=EVENT_DTYPE)
    for note in ordered:
        if note.end < num_steps:
            events[note.end] = NOTE_OFF  # overwritten below when the next note starts right there
    for note in ordered:
        events[note.start] = note_on(note.pitch)
    return events


def decode(events: Iterable[int]) -> list[Note]:
    """Notes of an event sequence; a note still sounding at the end ends with the sequence."""
    notes: list[Note] = []
    pitch: int | None = None
    start = 0
    step = -1
    for step, token in enumerate(int(token) for token in events):
        if token == NO_EVENT:
            continue
        if pitch is not None:
            notes.append(Note(pitch, start, step))
        pitch, start = token_pitch(token), step
    if pitch is not None:
        notes.append(Note(pitch, start, step + 1))
    return notes


def fold_into_range(notes: Sequence[Note]) -> list[Note] | None:
    """Shift the whole melody by whole octaves into the range; None when its span is too wide.

    Picks the octave shift closest to zero, so melodies already in range stay unchanged.
    """
    if not notes:
        return list(notes)
    low = min(note.pitch for note in notes)
    high = max(note.pitch for note in notes)
    if high - low > MAX_PITCH - MIN_PITCH:
        return None
    shifts = [octave * SEMITONES_PER_OCTAVE for octave in range(-10, 11)]
    valid = [shift for shift in shifts if low + shift >= MIN_PITCH and high + shift <= MAX_PITCH]
    if not valid:
        return None  # fits by span but not at any whole-octave shift
    shift = min(valid, key=abs)
    return [Note(note.pitch + shift, note.start, note.end) for note in notes]


def transpose_events(events: np.ndarray, semitones: int) -> np.ndarray | None:
    """Events transposed by ``semitones``; None when a note would leave the range."""
    events = np.asarray(events)
    is_note_on = events >= FIRST_NOTE_ON
    shifted = events.astype(np.int16) + np.where(is_note_on, semitones, 0)
    if is_note_on.any() and (shifted[is_note_on].min() < FIRST_NOTE_ON or shifted[is_note_on].max() >= VOCAB_SIZE):
        return None
    return shifted.astype(EVENT_DTYPE)


def transposition_range(events: np.ndarray) -> tuple[int, int]:
    """The lowest and highest semitone shift that keeps every note of ``events`` in range."""
    events = np.asarray(events)
    note_ons = events[events >= FIRST_NOTE_ON]
    if note_ons.size == 0:
        return 0, 0
    return FIRST_NOTE_ON - int(note_ons.min()), VOCAB_SIZE - 1 - int(note_ons.max())
