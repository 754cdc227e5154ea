"""Melodies in and out of Standard MIDI files, and primers (a .mid file or typed note names)."""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Sequence

from apps.music.encoding import MAX_PITCH, MIN_PITCH, STEPS_PER_QUARTER, Note, validate_notes
from apps.music.extract import ExtractionError, melody_from_stream
from suite.atomic import atomic_path
from suite.errors import UserError

DEFAULT_QPM = 120.0
PRIMER_NOTE_STEPS = STEPS_PER_QUARTER  # each typed primer note lasts a quarter note
VELOCITY = 90  # a moderate forte: the grid carries no dynamics
PITCH_CLASSES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
NOTE_NAME = re.compile(r"^([A-Ga-g])([#b]{0,2})(-?\d)$")  # e.g. C4, F#3, Bb5, Ebb4


def melody_stream(notes: Sequence[Note], qpm: float = DEFAULT_QPM, meter: str | None = None):
    """A music21 stream of the notes (rests fill the gaps) with a tempo mark and, given, a time signature."""
    from music21 import meter as m21meter
    from music21 import note as m21note
    from music21 import stream as m21stream
    from music21 import tempo

    part = m21stream.Part()
    part.insert(0, tempo.MetronomeMark(number=qpm))
    if meter:
        part.insert(0, m21meter.TimeSignature(meter))
    for pitch, start, end in validate_notes(notes):
        sound = m21note.Note(pitch, quarterLength=(end - start) / STEPS_PER_QUARTER)
        sound.volume.velocity = VELOCITY
        part.insert(start / STEPS_PER_QUARTER, sound)
    return part


def write_midi(notes: Sequence[Note], path: str | os.PathLike, qpm: float = DEFAULT_QPM,
               meter: str | None = None) -> Path:
    """Write the melody to a .mid file atomically, at ``qpm`` quarter notes per minute, in ``meter`` (e.g. "6/8";
    None: no time signature, which MIDI players read as 4/4)."""
    if qpm <= 0:
        raise UserError(f"--qpm {qpm}: must be positive")
    from music21 import midi as m21midi

    midi_file = m21midi.translate.streamToMidiFile(melody_stream(notes, qpm, meter))
    with atomic_path(path) as tmp:
        tmp.write_bytes(midi_file.writestr())
    return Path(path)


def read_midi_melody(path: str | os.PathLike, min_notes: int = 1) -> list[Note]:
    """The melody of a .mid file on the grid; a polyphonic file gives its top line, with a warning.

    UserError for a missing, empty or corrupt file, or one without a usable melody.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: MIDI file not found")
    if path.stat().st_size == 0:
        raise UserError(f"{path}: MIDI file is empty")
    from music21 import converter

    try:
        stream = converter.parse(str(path), format="midi")
    except Exception as error:  # music21 raises many types for broken files
        raise UserError(f"{path}: not a readable MIDI file ({type(error).__name__})") from None
    try:
        notes, reduced = melody_from_stream(stream, allow_polyphony=True, min_notes=min_notes)
    except ExtractionError as error:
        raise UserError(f"{path}: no usable melody ({error})") from None
    if reduced:
        print(f"warning: {path}: polyphonic; using its top line ({len(notes)} notes)", file=sys.stderr)
    return notes


def parse_note_name(name: str) -> int:
    """The MIDI pitch of a note name like 'C4' (middle C = 60), 'F#3' or 'Bb5'; UserError otherwise."""
    match = NOTE_NAME.match(name)
    if match is None:
        raise UserError(f"--primer-notes: {name!r} is not a note name like C4, F#3 or Bb5")
    letter, accidentals, octave = match.groups()
    pitch = (int(octave) + 1) * 12 + PITCH_CLASSES[letter.upper()] + accidentals.count("#") - accidentals.count("b")
    if not MIN_PITCH <= pitch <= MAX_PITCH:
        raise UserError(f"--primer-notes: {name} (MIDI {pitch}) is outside the melody range C3..C6")
    return pitch


def parse_primer_notes(text: str) -> list[Note]:
    """Typed primer notes, e.g. "C4 E4 G4": one quarter note each, one after the other."""
    names = text.replace(",", " ").split()
    if not names:
        raise UserError("--primer-notes: no notes given")
    pitches = [parse_note_name(name) for name in names]
    return [Note(pitch, index * PRIMER_NOTE_STEPS, (index + 1) * PRIMER_NOTE_STEPS) for index, pitch in enumerate(pitches)]
