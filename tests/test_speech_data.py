"""Speech Commands folder parsing, the by-voice split and make-data's output layout."""
from __future__ import annotations

import collections
from pathlib import Path

import numpy as np
import pytest
import soundfile

from apps.speech import data, dataset, synth
from apps.speech.labels import CLIP_SAMPLES, LABEL_INDEX, LABELS, SAMPLE_RATE, UNKNOWN_WORDS, label_for_word
from suite.errors import UserError


def write_tone(path: Path, seconds: float, frequency: float = 440.0, rate: int = SAMPLE_RATE) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    time = np.arange(int(seconds * rate)) / rate
    soundfile.write(path, 0.5 * np.sin(2 * np.pi * frequency * time), rate, subtype="PCM_16")


@pytest.fixture()
def tiny_layout(tmp_path: Path) -> Path:
    """yes x3, no x2, bed x4, marvin x2, one 2 s background file; 1 validation and 2 testing clips."""
    for word, count in {"yes": 3, "no": 2, "bed": 4, "marvin": 2}.items():
        for index in range(count):
            write_tone(tmp_path / word / f"spk{index}_nohash_0.wav", 0.5)
    write_tone(tmp_path / "_background_noise_" / "white_noise.wav", 2.0)
    (tmp_path / "validation_list.txt").write_text("yes/spk1_nohash_0.wav\n")
    (tmp_path / "testing_list.txt").write_text("yes/spk2_nohash_0.wav\nbed/spk3_nohash_0.wav\n")
    return tmp_path


def test_labels_follow_speech_commands_v2():
    assert LABELS == ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go", "_silence_", "_unknown_")
    assert label_for_word("Sheila") == "_unknown_" and label_for_word("stop") == "stop"
    assert len(UNKNOWN_WORDS) == 25 and not set(UNKNOWN_WORDS) & set(LABELS)


def test_folder_parsing_splits_and_unknown_mapping(tiny_layout: Path):
    splits = dataset.load_folder(tiny_layout, silence_fraction=0.5, unknown_fraction=1.0, seed=0)
    names = {split: collections.Counter(LABELS[example.label] for example in examples)
             for split, examples in splits.items()}
    # training: yes/spk0 + no x2 = 3 keywords -> ceil(1.0 * 3) = 3 of the 5 unknowns, ceil(0.5 * 3) = 2 silences
    assert names["training"] == {"yes": 1, "no": 2, "_unknown_": 3, "_silence_": 2}
    assert names["validation"] == {"yes": 1, "_silence_": 1}  # no unknown clip is listed for validation
    assert names["testing"] == {"yes": 1, "_unknown_": 1, "_silence_": 1}
    testing_unknown = [e for e in splits["testing"] if e.label == LABEL_INDEX["_unknown_"]]
    assert Path(testing_unknown[0].path).relative_to(tiny_layout).as_posix() == "bed/spk3_nohash_0.wav"
    training_words = {Path(e.path).parent.name for e in splits["training"] if e.label == LABEL_INDEX["_unknown_"]}
    assert training_words <= {"bed", "marvin"}


def test_examples_decode_to_one_second(tiny_layout: Path):
    splits = dataset.load_folder(tiny_layout, silence_fraction=1.0, seed=1)
    word = next(e for e in splits["training"] if e.label == LABEL_INDEX["no"])
    audio = dataset.load_example(word)
    assert audio.shape == (CLIP_SAMPLES,) and audio.dtype == np.float32
    assert np.abs(audio[: SAMPLE_RATE // 2]).max() > 0.45 and not np.any(audio[SAMPLE_RATE // 2:])  # 0.5 s padded
    silence = [e for e in splits["training"] if e.label == LABEL_INDEX["_silence_"]]
    assert len(silence) == 3
    for example in silence:
        assert 0 <= example.offset <= SAMPLE_RATE and 0.0 <= example.gain <= 1.0  # 2 s file, 1 s crops
        assert dataset.load_example(example).shape == (CLIP_SAMPLES,)


def test_folder_errors(tmp_path: Path):
    with pytest.raises(UserError, match="no such folder"):
        dataset.load_folder(tmp_path / "missing")
    (tmp_path / "yes").mkdir()
    with pytest.raises(UserError, match="no WAV files"):
        dataset.load_folder(tmp_path)
    write_tone(tmp_path / "yes" / "a_nohash_0.wav", 1.0)
    with pytest.raises(UserError, match="_background_noise_"):
        dataset.load_folder(tmp_path)
    assert len(dataset.load_folder(tmp_path, silence_fraction=0.0)["training"]) == 1


def test_voice_split_has_no_overlap():
    variants = synth.voice_variants()
    assert len(variants) >= 100
    splits = data.split_voices(variants, seed=0)
    assert sorted(sum(splits.values(), [])) == sorted(variants)
    families = {split: {data.voice_family(v) for v in voices} for split, voices in splits.items()}
    assert not families["training"] & families["validation"]
    assert not families["training"] & families["testing"]
    assert not families["validation"] & families["testing"]
    assert len(splits["validation"]) >= 5 and len(splits["testing"]) >= 5
    assert data.voice_family("klatt4") == "klatt" and data.voice_family("m3") == "m3"
    assert splits == data.split_voices(variants, seed=0) != data.split_voices(variants, seed=1)


def test_clip_split_counts():
    assert collections.Counter(data.clip_splits(40)) == {"training": 32, "validation": 4, "testing": 4}
    assert collections.Counter(data.clip_splits(3)) == {"training": 1, "validation": 1, "testing": 1}
    assert data.clip_splits(2) == ["training", "training"]


PER_WORD = 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("speech") / "data"
    data.make_data(out, per_word=PER_WORD, seed=5, workers=2, show_progress=False, engine_names=("espeak",))
    return out


def test_make_data_layout(generated: Path):
    words = sorted(p.name for p in generated.iterdir() if p.is_dir() and p.name != "_background_noise_")
    assert words == sorted(data.WORDS) and len(words) == 35
    for word in words:
        assert len(list((generated / word).glob("*.wav"))) == PER_WORD
    validation = (generated / "validation_list.txt").read_text().split()
    testing = (generated / "testing_list.txt").read_text().split()
    assert len(validation) == len(testing) == 35  # one clip per word in each held-out split
    assert all((generated / line).is_file() for line in validation + testing)
    assert len(list((generated / "_background_noise_").glob("*.wav"))) == 4
    for path in list(generated.glob("*/*_nohash_*.wav"))[:20]:
        info = soundfile.info(path)
        assert (info.samplerate, info.frames, info.channels, info.subtype) == (16000, 16000, 1, "PCM_16")


def test_make_data_split_is_by_voice(generated: Path):
    held = {split: {dataset.speaker_of(line) for line in (generated / name).read_text().split()}
            for split, name in (("validation", "validation_list.txt"), ("testing", "testing_list.txt"))}
    listed = set((generated / "validation_list.txt").read_text().split()) | set(
        (generated / "testing_list.txt").read_text().split())
    training = {dataset.speaker_of(str(p)) for p in generated.glob("*/*_nohash_*.wav")
                if p.relative_to(generated).as_posix() not in listed}
    assert training and held["validation"] and held["testing"]
    assert not training & held["validation"] and not training & held["testing"]


def test_make_data_is_parsed_and_deterministic(generated: Path, tmp_path: Path):
    splits = dataset.load_folder(generated, seed=0)
    assert len(splits["training"]) == 10 + 1 + 1  # 10 keyword clips, ceil(10%) unknown, ceil(10%) silence
    again = tmp_path / "again"
    data.make_data(again, per_word=PER_WORD, seed=5, workers=1, show_progress=False, engine_names=("espeak",))
    for path in sorted(generated.glob("*/*.wav"))[::7]:
        assert path.read_bytes() == (again / path.relative_to(generated)).read_bytes(), path
    audio = dataset.load_example(splits["training"][0])
    assert audio.shape == (CLIP_SAMPLES,) and np.abs(audio).max() > 0
