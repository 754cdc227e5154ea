"""Log-mel parity (tf.signal vs the numpy device front-end), shapes, and audio reading/resampling."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile

from apps.speech import audio, features, frontend, labels
from suite.keras import tf


def speech_like(seed: int, level: float) -> np.ndarray:
    """A gliding, enveloped tone over noise: energy in a few bands, quiet elsewhere."""
    rng = np.random.default_rng(seed)
    time = np.arange(labels.CLIP_SAMPLES) / labels.SAMPLE_RATE
    tone = np.sin(2 * np.pi * 300 * time * (1 + time)) * np.exp(-(((time - 0.5) / 0.15) ** 2))
    return np.clip(level * (0.5 * tone + 0.05 * rng.standard_normal(time.size)), -1, 1).astype(np.float32)


def test_constants_agree():
    assert frontend.SAMPLE_RATE == labels.SAMPLE_RATE
    assert frontend.num_frames(16_000) == 49 and features.FEATURE_SHAPE == (49, 40)
    assert frontend.num_frames(479) == 0 and frontend.num_frames(480) == 1 and frontend.num_frames(800) == 2


def test_mel_filter_banks_match():
    difference = np.abs(features.mel_weight_matrix().numpy() - frontend.mel_weight_matrix())
    assert difference.max() < 1e-5
    assert frontend.mel_weight_matrix().shape == (257, 40) and not frontend.mel_weight_matrix()[0].any()  # DC


@pytest.mark.parametrize("level", [1.0, 0.1, 0.003])
def test_tensorflow_and_numpy_features_agree(level: float):
    clip = speech_like(seed=int(level * 1000), level=level)
    expected = frontend.log_mel(clip)
    actual = features.log_mel(tf.constant(clip)).numpy()
    assert actual.shape == expected.shape == (49, 40)
    assert np.abs(actual - expected).max() < 1e-4


def test_batched_numpy_features_equal_the_training_features():
    """Inference (numpy, features_batch) sees what training's tf.data pipeline computed, to float tolerance."""
    batch = np.stack([speech_like(seed, level) for seed, level in ((3, 0.8), (4, 0.02), (5, 0.3))])
    expected = features.log_mel(tf.constant(batch)).numpy()
    actual = frontend.features_batch(batch)
    assert actual.shape == expected.shape == (3, 49, 40)
    assert np.abs(actual - expected).max() < 1e-4
    assert np.array_equal(actual[1], frontend.log_mel(batch[1]))


def test_batches_and_streaming_frames():
    batch = np.stack([speech_like(1, 0.5), speech_like(2, 0.05)])
    assert features.log_mel(tf.constant(batch)).shape == (2, 49, 40)
    whole = frontend.log_mel(batch[0])
    for index in (0, 17, 48):  # frame i starts at sample 320 i
        start = index * frontend.HOP_SAMPLES
        assert np.allclose(frontend.frame_features(batch[0][start:start + 480]), whole[index], atol=1e-5)


def test_hand_computed_values():
    silent = frontend.log_mel(np.zeros(16_000, np.float32))
    assert np.allclose(silent, np.log(frontend.LOG_OFFSET))  # about -6.908 everywhere
    time = np.arange(16_000) / 16_000
    tone = frontend.log_mel(0.5 * np.sin(2 * np.pi * 1000.0 * time))
    edges = np.linspace(frontend.hertz_to_mel(20.0), frontend.hertz_to_mel(7600.0), 42)
    nearest = int(np.argmin(np.abs(edges[1:-1] - frontend.hertz_to_mel(1000.0))))
    assert int(np.argmax(tone[24])) == nearest


def write_stereo_44k(path: Path, seconds: float) -> None:
    time = np.arange(int(seconds * 44_100)) / 44_100
    left = 0.6 * np.sin(2 * np.pi * 440.0 * time)
    right = 0.2 * np.sin(2 * np.pi * 440.0 * time)
    soundfile.write(path, np.stack([left, right], axis=1), 44_100, subtype="PCM_16")


def test_resampling_44k_stereo_to_16k_mono(tmp_path: Path):
    path = tmp_path / "stereo.wav"
    write_stereo_44k(path, seconds=1.5)
    signal = audio.read_wav(path)
    assert signal.dtype == np.float32 and signal.ndim == 1
    assert abs(signal.size - 24_000) <= 1  # 1.5 s at 16 kHz
    spectrum = np.abs(np.fft.rfft(signal))
    assert abs(np.argmax(spectrum) * 16_000 / signal.size - 440.0) < 1.0
    middle = signal[4_000:20_000]
    assert abs(np.sqrt(2) * np.sqrt(np.mean(middle**2)) - 0.4) < 0.01  # (0.6 + 0.2) / 2 downmix
    clip = audio.load_clip(path)
    assert clip.shape == (16_000,)


def test_padding_and_windows():
    assert np.array_equal(audio.fit_length(np.ones(3, np.float32), 5), [1, 1, 1, 0, 0])
    assert audio.fit_length(np.arange(10.0), 4).tolist() == [0, 1, 2, 3]
    long = np.arange(40_000, dtype=np.float32)  # 2.5 s
    cut = audio.windows(long, window=16_000, hop=4_000)
    assert cut.shape == (7, 16_000)  # 1 + ceil(24000 / 4000)
    assert cut[1, 0] == 4_000 and cut[-1, 0] == 24_000 and cut[-1, -1] == 39_999
    assert audio.windows(np.ones(100, np.float32)).shape == (1, 16_000)
    assert audio.window_start_times(3, hop=8_000).tolist() == [0.0, 0.5, 1.0]


def test_pcen_hand_computed_and_gain_invariant():
    b = frontend.pcen_smoothing()
    assert abs(b - (np.sqrt(1 + 4 * 20.0**2) - 1) / (2 * 20.0**2)) < 1e-9  # 0.4 s at a 20 ms hop: 20 frames
    energies = np.zeros((3, 40), np.float32)
    energies[:, 0] = [1.0, 1.0, 4.0]
    out = frontend.pcen(energies)
    scaled = energies[:, 0] * frontend.PCEN_SCALE
    smooth = [scaled[0], scaled[0], (1 - b) * scaled[0] + b * scaled[2]]  # starts at the first frame
    expected = [np.sqrt(e / (1e-6 + m) ** 0.98 + 2) - np.sqrt(2) for e, m in zip(scaled, smooth)]
    assert np.allclose(out[:, 0], expected, rtol=1e-5)
    assert not out[:, 1:].any()  # no energy, no output
    clip = speech_like(7, 0.5)
    loud, quiet = frontend.features_batch(np.stack([clip, clip / 30]), "pcen")
    assert np.abs(loud - quiet).max() < 0.25 * np.abs(loud).max()  # PCEN: 30 dB of gain moves it little
    logs = frontend.features_batch(np.stack([clip, clip / 30]))
    assert np.abs(logs[0] - logs[1])[24].min() > 2.0  # log-mel moves by about ln 30 = 3.4 where the tone is


@pytest.mark.parametrize("kind", frontend.FEATURES)
def test_streamed_window_features_equal_the_batch(kind: str):
    """The stream's per-window features (mel frames, then FrameFeatures reset at the window start) equal
    what training computes for the same 1 s window."""
    signal = np.concatenate([speech_like(8, 0.3), speech_like(9, 0.05)])
    start = 20 * frontend.HOP_SAMPLES
    mel = frontend.mel(signal)
    window = frontend.FrameFeatures(kind)
    for t in range(3):  # an earlier window's state is dropped by reset()
        window(mel[t])
    window.reset()
    streamed = np.stack([window(mel[20 + t]) for t in range(49)])
    expected = frontend.features_batch(signal[None, start:start + 16_000], kind)[0]
    assert np.abs(streamed - expected).max() < 1e-5


def test_pcen_is_a_preset_option_that_refuses_audio_augmentation():
    from apps.speech.presets import SpeechConfig

    assert SpeechConfig(features="pcen", feature_augment=True).features == "pcen"
    with pytest.raises(ValueError, match="'mfcc'"):
        SpeechConfig(features="mfcc")
    with pytest.raises(ValueError, match="augment=false"):
        SpeechConfig(features="pcen", augment=True)
    with pytest.raises(ValueError, match="feature_augment"):
        SpeechConfig(augment=True, feature_augment=True)


@pytest.mark.parametrize("kind", frontend.FEATURES)
def test_stream_feeds_each_window_the_features_its_model_was_trained_on(kind: str):
    """window_scores turns mel frames into the stepper's features, restarted with every staggered window."""
    from apps.speech import recognize
    from apps.speech.model import features_of

    assert features_of({"frontend": {"features": kind}}) == kind and features_of({}) == "log_mel"

    windows = []

    class Recorder:  # a stand-in step model that collects the frames of each window it completes
        features = kind

        def initial_state(self):
            return []

        def step(self, frame, state):
            state = state + [frame]
            if len(state) == frontend.NUM_FRAMES:
                windows.append(np.stack(state))
            return np.zeros(len(labels.LABELS)), state

    signal = np.concatenate([speech_like(10, 0.4), speech_like(11, 0.2)])
    results = list(recognize.window_scores(Recorder(), recognize.audio_frames(signal), streams=4))
    assert len(results) == len(windows) == 5  # windows start at frames 0, 12, 24, 36, 49
    for window, first in zip(windows, (0, 12, 24, 36, 49)):
        start = first * frontend.HOP_SAMPLES
        expected = frontend.features_batch(signal[None, start:start + 16_000], kind)[0]
        assert np.abs(window - expected).max() < 1e-5
