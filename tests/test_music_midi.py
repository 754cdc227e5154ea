"""MIDI writing and reading, primers, and the bad-primer errors."""
import pytest

from apps.music import midi
from apps.music.encoding import Note
from suite.errors import UserError

MELODY = [Note(60, 0, 4), Note(62, 4, 6), Note(62, 6, 8), Note(67, 12, 28), Note(84, 28, 29)]


def test_write_read_round_trip(tmp_path):
    path = midi.write_midi(MELODY, tmp_path / "melody.mid", qpm=96)
    assert path.read_bytes()[:4] == b"MThd"
    assert midi.read_midi_melody(path) == MELODY
    assert [p.name for p in tmp_path.iterdir()] == ["melody.mid"]  # no temporary file left behind


def test_written_tempo(tmp_path):
    from music21 import converter, tempo

    midi.write_midi(MELODY, tmp_path / "melody.mid", qpm=96)
    marks = converter.parse(str(tmp_path / "melody.mid")).flatten().getElementsByClass(tempo.MetronomeMark)
    assert round(marks[0].number) == 96
    with pytest.raises(UserError, match="--qpm"):
        midi.write_midi(MELODY, tmp_path / "bad.mid", qpm=0)
    assert not (tmp_path / "bad.mid").exists()


def test_primer_notes():
    assert midi.parse_primer_notes("C4 E4 G4") == [Note(60, 0, 4), Note(64, 4, 8), Note(67, 8, 12)]
    assert midi.parse_primer_notes("F#3, Bb5 c6") == [Note(54, 0, 4), Note(82, 4, 8), Note(84, 8, 12)]
    assert [midi.parse_note_name(name) for name in ("C3", "B#3", "Cb4", "Ebb4")] == [48, 60, 59, 62]


@pytest.mark.parametrize("text, message", [("", "no notes"), ("C4 H4", "'H4' is not a note name"),
                                           ("C4 E", "'E' is not a note name"), ("C1", "outside the melody range"),
                                           ("C#6", "outside the melody range")])
def test_bad_primer_notes(text, message):
    with pytest.raises(UserError, match=message):
        midi.parse_primer_notes(text)


def test_polyphonic_primer_takes_top_line_with_warning(tmp_path, capsys):
    from music21 import chord, note, stream
    from music21 import midi as m21midi

    part = stream.Part()
    part.insert(0, chord.Chord([60, 64, 67], quarterLength=1))  # C major triad: top is G4
    part.insert(1, note.Note(72, quarterLength=0.5))
    part.insert(1.5, chord.Chord([62, 65], quarterLength=0.5))
    (tmp_path / "chords.mid").write_bytes(m21midi.translate.streamToMidiFile(part).writestr())
    assert midi.read_midi_melody(tmp_path / "chords.mid") == [Note(67, 0, 4), Note(72, 4, 6), Note(65, 6, 8)]
    warning = capsys.readouterr().err
    assert "chords.mid" in warning and "polyphonic" in warning and "top line" in warning


def test_bad_primer_files(tmp_path):
    with pytest.raises(UserError, match="not found"):
        midi.read_midi_melody(tmp_path / "missing.mid")
    (tmp_path / "empty.mid").write_bytes(b"")
    with pytest.raises(UserError, match="empty"):
        midi.read_midi_melody(tmp_path / "empty.mid")
    (tmp_path / "corrupt.mid").write_bytes(b"RIFF\x00\x01garbage bytes")
    with pytest.raises(UserError, match="corrupt.mid: not a readable MIDI file"):
        midi.read_midi_melody(tmp_path / "corrupt.mid")
    midi.write_midi([], tmp_path / "silent.mid")  # a valid MIDI file without notes
    with pytest.raises(UserError, match="silent.mid: no usable melody"):
        midi.read_midi_melody(tmp_path / "silent.mid")
