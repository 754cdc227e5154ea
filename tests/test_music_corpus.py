"""Corpus parsing on a tiny subset, caching, splits, augmentation and a MIDI folder with bad files."""
import numpy as np
import pytest

from apps.music import corpus, encoding
from apps.music.encoding import Note
from apps.music.extract import TuneSource, parse_source
from apps.music.midi import write_midi
from suite.app import main
from suite.app.paths import CACHE_ENV
from suite.errors import UserError

SUBSET = 12


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))


def test_folk_sources_hold_every_bundled_tune():
    sources = corpus.folk_sources()
    per_collection = {name: sum(s.tune_id.startswith(name + "/") for s in sources) for name in corpus.FOLK_COLLECTIONS}
    assert per_collection == {"essenFolksong": 8514, "oneills1850": 2009, "ryansMammoth": 1059}
    assert len({source.tune_id for source in sources}) == len(sources)


def test_first_essen_tune_is_encoded_exactly():
    # X:1 of altdeu10.abc, L:1/4: "G2 | _B2B2c2c2 | d4d4": the flat carries through the bar (B2 is B-flat)
    source = next(s for s in corpus.folk_sources(["essenFolksong"]) if s.tune_id == "essenFolksong/altdeu10.abc#1")
    tune_id, events, reason = parse_source(source)
    assert reason is None
    assert encoding.decode(events)[:7] == [Note(67, 0, 8), Note(70, 8, 16), Note(70, 16, 24), Note(72, 24, 32),
                                           Note(72, 32, 40), Note(74, 40, 56), Note(74, 56, 72)]


def test_tiny_subset_parse_counts_and_cache(tmp_path):
    dataset, path, cached = corpus.prepare(limit=SUBSET, workers=1, show_progress=False)
    assert not cached and path.exists() and path.parent == tmp_path / "cache" / "music"
    assert len(dataset) + sum(dataset.skipped.values()) == SUBSET
    assert len(dataset) >= SUBSET - 3  # almost every folk tune is a usable melody
    collections = {tune_id.split("/")[0] for tune_id in dataset.tune_ids}
    assert len(collections) >= 2  # the subset is spread over the collections, not one file
    for events in dataset.events:
        assert events.dtype == np.int8 and events.min() >= 0 and events.max() < encoding.VOCAB_SIZE
        assert events[0] >= encoding.FIRST_NOTE_ON  # melodies start with a note
    again, again_path, cached = corpus.prepare(limit=SUBSET, workers=1, show_progress=False)
    assert cached and again_path == path
    assert again.tune_ids == dataset.tune_ids and again.skipped == dataset.skipped
    assert all(np.array_equal(a, b) for a, b in zip(again.events, dataset.events))
    assert dataset.summary()["events"] == sum(len(events) for events in dataset.events)


def test_split_by_tune_is_disjoint_deterministic_and_proportional():
    tune_ids = [f"collection/file.abc#{index}" for index in range(3000)]
    splits = {name: {t for t in tune_ids if corpus.split_of(t) == name} for name in corpus.SPLITS}
    assert sum(len(ids) for ids in splits.values()) == len(tune_ids)
    assert not (splits["train"] & splits["validation"]) and not (splits["train"] & splits["test"])
    assert abs(len(splits["train"]) / 3000 - 0.8) < 0.03 and abs(len(splits["test"]) / 3000 - 0.1) < 0.02
    assert corpus.split_of("essenFolksong/altdeu10.abc#1") == corpus.split_of("essenFolksong/altdeu10.abc#1")
    dataset = corpus.MelodyDataset(tune_ids, [np.array([2, 0], np.int8)] * len(tune_ids))
    assert sum(len(dataset.split(name)) for name in corpus.SPLITS) == len(tune_ids)


def test_transposition_augmentation_stays_in_range():
    low = encoding.encode([Note(50, 0, 2), Note(55, 2, 4)])  # may go 2 down, 29 up
    high = encoding.encode([Note(80, 0, 2), Note(84, 2, 4)])  # may go 32 down, none up
    augmented = corpus.augment_by_transposition([low, high], semitones=range(-5, 7))
    assert len(augmented) == (2 + 1 + 6) + (5 + 1)  # -2..+6 for low, -5..0 for high
    for events in augmented:
        pitches = [note.pitch for note in encoding.decode(events)]
        assert encoding.MIN_PITCH <= min(pitches) and max(pitches) <= encoding.MAX_PITCH
    assert encoding.decode(augmented[0]) == [Note(48, 0, 2), Note(53, 2, 4)]


def write_chord_midi(path):
    from music21 import chord, midi as m21midi, stream

    part = stream.Part()
    for offset in range(4):
        part.insert(offset, chord.Chord([60 + offset, 64 + offset], quarterLength=1))
    path.write_bytes(m21midi.translate.streamToMidiFile(part).writestr())


def test_midi_folder_skips_and_counts_bad_files(tmp_path):
    folder = tmp_path / "midis"
    folder.mkdir()
    melody = [Note(60, 0, 4), Note(62, 4, 6), Note(64, 6, 8), Note(65, 12, 16), Note(65, 16, 17)]
    write_midi(melody, folder / "good.mid")
    write_midi([Note(40, 0, 1), Note(50, 1, 2), Note(60, 2, 3), Note(90, 3, 4)], folder / "wide.mid")  # 50 semitones
    (folder / "broken.mid").write_bytes(b"MThd\x00\x00\x00\x06garbage")
    write_chord_midi(folder / "chords.midi")
    (folder / "notes.txt").write_text("not a midi file")  # ignored: not .mid/.midi
    dataset, path, cached = corpus.prepare(folder, workers=2, show_progress=False)  # the worker-pool path
    assert dataset.tune_ids == ["good.mid"]
    assert dataset.events[0].tolist() == encoding.encode(melody).tolist()
    assert dataset.skipped == {"unparsable": 1, "polyphonic": 1, "out of range": 1}
    assert path.name.startswith("midi-midis-")


def test_midi_folder_errors(tmp_path):
    with pytest.raises(UserError, match="not a folder"):
        corpus.prepare(tmp_path / "missing")
    with pytest.raises(UserError, match="no .mid"):
        corpus.prepare(tmp_path)
    with pytest.raises(UserError, match="--limit"):
        corpus.prepare(limit=0)


def test_prepare_data_command_reports_bad_input_in_one_line(tmp_path, capsys):
    assert main("music", ["prepare-data", "--data", str(tmp_path / "missing")]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [f"error: {tmp_path / 'missing'}: --data is not a folder"]
    assert main("music", ["prepare-data", "--workers", "0"]) == 2
