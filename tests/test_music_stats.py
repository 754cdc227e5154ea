"""Melody statistics and rendering (WAV and piano roll)."""
import wave

import numpy as np
import pytest

from apps.music import render, stats
from apps.music.encoding import Note

C_MAJOR_SCALE = [60, 62, 64, 65, 67, 69, 71, 72]


def scale_melody(pitches, length=2):
    return [Note(pitch, index * length, (index + 1) * length) for index, pitch in enumerate(pitches)]


def test_in_key_share_of_a_scale_and_a_chromatic_run():
    assert stats.in_key_share(scale_melody(C_MAJOR_SCALE * 2)) == 100.0
    chromatic = stats.in_key_share(scale_melody(range(60, 72)))
    assert chromatic <= 100 * 7 / 12 + 1e-9  # at most 7 of the 12 pitch classes fit any 7-note scale


def test_duration_histogram_and_total_variation():
    melody = [Note(60, 0, 1), Note(62, 1, 3), Note(64, 3, 5), Note(65, 5, 105)]  # 1, 2, 2, 100 steps
    histogram = stats.duration_histogram([melody])
    assert histogram[0] == 0.25 and histogram[1] == 0.5 and histogram[-1] == 0.25  # long notes share the last bin
    assert stats.total_variation(histogram, histogram) == 0.0
    assert stats.total_variation(np.array([1.0, 0, 0]), np.array([0, 0.5, 0.5])) == 1.0
    summary = stats.melody_statistics([melody])
    assert summary["stuck_notes"] == 1 and summary["zero_length_notes"] == 0
    assert summary["pitch_range_mean"] == 5 and summary["notes"] == 4
    assert stats.melody_statistics([[Note(60, 4, 4)]])["zero_length_notes"] == 1


def test_compare_and_format():
    corpus = stats.melody_statistics([scale_melody(C_MAJOR_SCALE)])
    generated = stats.melody_statistics([scale_melody(range(60, 72), length=4)])
    difference = stats.compare(corpus, generated)
    assert difference["pitch_range_mean"] == 11 - 12
    assert difference["duration_total_variation"] == 1.0  # all 2-step notes against all 4-step notes
    assert difference["in_key_points"] < -30
    assert "in-key notes %" in stats.format_comparison(corpus, generated)


def test_numpy_wav(tmp_path):
    melody = scale_melody([69, 81], length=4)  # A4 then A5, a quarter note each at 120 qpm
    assert render.render_wav(melody, tmp_path / "m.wav", qpm=120, use_fluidsynth=False) == "numpy"
    with wave.open(str(tmp_path / "m.wav")) as handle:
        assert handle.getsampwidth() == 2 and handle.getnchannels() == 1
        rate = handle.getframerate()
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2") / 32767
    assert len(samples) == pytest.approx((1.0 + render.RELEASE_SECONDS) * rate, abs=2)
    assert np.abs(samples).max() == pytest.approx(render.PEAK_LEVEL, abs=1e-3)
    first = samples[: rate // 2]
    spectrum = np.abs(np.fft.rfft(first))
    assert np.fft.rfftfreq(len(first), 1 / rate)[spectrum.argmax()] == pytest.approx(440, abs=3)


def test_piano_roll_png(tmp_path):
    render.render_piano_roll(scale_melody(C_MAJOR_SCALE), tmp_path / "roll.png", title="scale", primer_steps=4)
    assert (tmp_path / "roll.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["roll.png"]


def test_corpus_excerpts_have_the_generated_length():
    from apps.music.encoding import STEPS_PER_BAR
    from apps.music.stats import SAMPLE_BARS, corpus_excerpts

    tunes = [np.arange(300) % 39, np.arange(50) % 39]
    excerpts = corpus_excerpts(tunes)
    assert [len(excerpt) for excerpt in excerpts] == [SAMPLE_BARS * STEPS_PER_BAR, 50] == [128, 50]
    np.testing.assert_array_equal(excerpts[0], tunes[0][:128])
