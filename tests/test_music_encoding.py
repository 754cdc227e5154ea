"""Melody event encoding: exact tokens and exact round-trips."""
import numpy as np
import pytest

from apps.music import encoding
from apps.music.encoding import MAX_PITCH, MIN_PITCH, NO_EVENT, NOTE_OFF, VOCAB_SIZE, Note, decode, encode


def on(pitch: int) -> int:
    return encoding.note_on(pitch)


def test_vocabulary_layout():
    assert VOCAB_SIZE == 39  # no-event, note-off, and 37 pitches C3..C6
    assert on(MIN_PITCH) == 2 and on(MAX_PITCH) == 38
    assert encoding.token_pitch(on(60)) == 60
    assert encoding.token_pitch(NO_EVENT) is None and encoding.token_pitch(NOTE_OFF) is None
    assert encoding.token_name(on(60)) == "on60" and encoding.token_name(NOTE_OFF) == "off"


def test_exact_tokens_with_rest_and_repeated_pitch():
    notes = [Note(60, 0, 2), Note(60, 2, 3), Note(64, 5, 8)]  # repeated C4, then a 2-step rest, then E4
    events = encode(notes)
    assert events.tolist() == [on(60), NO_EVENT, on(60), NOTE_OFF, NO_EVENT, on(64), NO_EVENT, NO_EVENT]
    assert events.dtype == np.int8
    assert decode(events) == notes


@pytest.mark.parametrize("notes", [
    [Note(60, 0, 1)],
    [Note(48, 0, 16), Note(84, 16, 17)],  # both ends of the range, a whole note then a 16th
    [Note(62, 3, 4), Note(62, 4, 5), Note(62, 5, 6)],  # leading rest, a pitch repeated on adjacent steps
    [Note(67, 0, 4), Note(65, 8, 12), Note(64, 12, 28), Note(72, 40, 41)],  # rests between notes
    [Note(60, 0, 4), Note(60, 4, 8), Note(60, 12, 16)],  # the same pitch struck again on a beat
])
def test_round_trip(notes):
    assert decode(encode(notes)) == notes


def test_note_held_across_grid_boundary_is_one_note():
    # a note tied over a bar line (steps 14..18 in 4/4) is a single NOTE_ON followed by NO_EVENTs
    events = encode([Note(65, 14, 18)])
    assert events.tolist() == [NO_EVENT] * 14 + [on(65), NO_EVENT, NO_EVENT, NO_EVENT]
    assert decode(events) == [Note(65, 14, 18)]


def test_num_steps_pads_with_note_off_and_rest():
    events = encode([Note(60, 0, 2)], num_steps=4)
    assert events.tolist() == [on(60), NO_EVENT, NOTE_OFF, NO_EVENT]
    assert decode(events) == [Note(60, 0, 2)]
    with pytest.raises(ValueError):
        encode([Note(60, 0, 2)], num_steps=1)


def test_random_melodies_round_trip():
    rng = np.random.default_rng(0)
    for _ in range(50):
        notes, step = [], 0
        for _ in range(rng.integers(1, 30)):
            step += int(rng.integers(0, 3))  # optional rest
            length = int(rng.integers(1, 9))
            notes.append(Note(int(rng.integers(MIN_PITCH, MAX_PITCH + 1)), step, step + length))
            step += length
        assert decode(encode(notes)) == notes


def test_invalid_melodies_are_rejected():
    with pytest.raises(ValueError, match="overlaps"):
        encode([Note(60, 0, 4), Note(64, 2, 6)])
    with pytest.raises(ValueError, match="positive length"):
        encode([Note(60, 3, 3)])
    with pytest.raises(ValueError, match="outside the encoded range"):
        encode([Note(MAX_PITCH + 1, 0, 1)])
    with pytest.raises(ValueError, match="outside the encoded range"):
        encode([Note(MIN_PITCH - 1, 0, 1)])


def test_fold_into_range_shifts_by_octaves_or_gives_up():
    assert encoding.fold_into_range([Note(60, 0, 1), Note(67, 1, 2)]) == [Note(60, 0, 1), Note(67, 1, 2)]
    assert encoding.fold_into_range([Note(90, 0, 1), Note(95, 1, 2)]) == [Note(78, 0, 1), Note(83, 1, 2)]
    assert encoding.fold_into_range([Note(40, 0, 1), Note(50, 1, 2)]) == [Note(52, 0, 1), Note(62, 1, 2)]
    assert encoding.fold_into_range([Note(40, 0, 1), Note(80, 1, 2)]) is None  # 40 semitones > 36
    # span 36 fits only when the melody starts on a C; 49..85 cannot move by octaves into 48..84
    assert encoding.fold_into_range([Note(49, 0, 1), Note(85, 1, 2)]) is None


def test_transposition_stays_in_range():
    events = encode([Note(80, 0, 2), Note(50, 2, 4)])
    assert encoding.transposition_range(events) == (-2, 4)
    up = encoding.transpose_events(events, 4)
    assert decode(up) == [Note(84, 0, 2), Note(54, 2, 4)]
    assert encoding.transpose_events(events, 5) is None
    assert encoding.transpose_events(events, -3) is None
    assert decode(encoding.transpose_events(events, -2)) == [Note(78, 0, 2), Note(48, 2, 4)]
