"""Log-mel front-end in numpy only: the device-side twin of ``apps/speech/features.py``.

This file imports nothing but numpy so it can be copied next to ``export/runtime.py`` on a
Raspberry Pi or a phone. It computes, bit for bit in intent and within 1e-4 in float32 practice
(tests/test_speech_features.py), what ``features.log_mel`` computes with tf.signal:

1. Frame the 16 kHz float signal (values in [-1, 1]) into 480-sample (30 ms) frames every
   320 samples (20 ms), without padding: a 1 s clip gives 1 + (16000 - 480) // 320 = 49 frames.
2. Multiply each frame by a periodic Hann window, w[n] = 0.5 - 0.5 cos(2 pi n / 480).
3. Real FFT of length 512 (the frame zero-padded at the end) -> 257 bins; take the magnitude |X|.
4. Project the 257 magnitudes onto 40 triangular mel filters between 20 Hz and 7,600 Hz
   (HTK mel scale, mel = 1127 ln(1 + f / 700); exactly tf.signal.linear_to_mel_weight_matrix).
5. Natural log with a small offset: log(mel + 1e-3), so silence gives a finite floor (about -6.9).

For streaming, call ``frame_features`` on the newest 480 samples every 320 samples (or ``mel_frames``, then a
``FrameFeatures`` per window).

``features="pcen"`` (a preset option) replaces step 5 with per-channel energy normalization (Wang et al.
2017, librosa's defaults): each mel band is divided by its own smoothed energy (a first-order IIR over frames,
time constant 0.4 s, started at the window's first frame), then compressed with a root. It is stateful over
the frames of a window: ``pcen`` takes the window's mel energies, ``PcenState`` steps it frame by frame.
"""
from __future__ import annotations

import numpy as np

SAMPLE_RATE = 16_000  # Hz; equals apps.speech.labels.SAMPLE_RATE (kept standalone for devices)
WINDOW_SAMPLES = 480  # 30 ms analysis window
HOP_SAMPLES = 320  # 20 ms between frames
FFT_LENGTH = 512  # next power of two above the window
NUM_SPECTROGRAM_BINS = FFT_LENGTH // 2 + 1  # 257
NUM_MEL_BINS = 40
LOWER_EDGE_HZ = 20.0
UPPER_EDGE_HZ = 7_600.0
# Added before the log: keeps silence finite and sits just above the mel energy of 16-bit
# quantization noise, so zero padding and a quiet recording give the same floor.
LOG_OFFSET = 1e-3
FEATURES = ("log_mel", "pcen", "pcen_floor")  # the model's input features (config.json "frontend"/"features")
# PCEN (librosa.pcen's defaults; the mel energies scaled to 16-bit sample units, as librosa suggests)
PCEN_SCALE = 2.0 ** 15
PCEN_TIME_CONSTANT_S = 0.4
PCEN_GAIN, PCEN_BIAS, PCEN_POWER, PCEN_EPS = 0.98, 2.0, 0.5, 1e-6
# "pcen_floor": the smoother starts at this mel energy (white noise at about -75 dBFS) instead of the window's
# first frame, so a window that starts inside a word is not normalized by that word
PCEN_FLOOR = 0.01
FEATURE_BATCH = 512  # clips per features_batch chunk: bounds the complex spectra in memory (~100 MB)


def num_frames(num_samples: int) -> int:
    """Frames produced for a signal of ``num_samples`` (no end padding): 49 for 16,000."""
    if num_samples < WINDOW_SAMPLES:
        return 0
    return 1 + (num_samples - WINDOW_SAMPLES) // HOP_SAMPLES


def hann_window() -> np.ndarray:
    """Periodic Hann window of 480 samples (tf.signal.hann_window's default)."""
    n = np.arange(WINDOW_SAMPLES, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(2.0 * np.pi * n / WINDOW_SAMPLES)).astype(np.float32)


def hertz_to_mel(hertz: np.ndarray | float) -> np.ndarray:
    """HTK mel scale, as TensorFlow defines it."""
    return 1127.0 * np.log1p(np.asarray(hertz, dtype=np.float64) / 700.0)


def mel_weight_matrix() -> np.ndarray:
    """(257, 40) triangular filters, the algorithm of tf.signal.linear_to_mel_weight_matrix.

    Filter edges are equally spaced on the mel scale; the DC bin gets no weight.
    """
    linear_hz = np.linspace(0.0, SAMPLE_RATE / 2.0, NUM_SPECTROGRAM_BINS)[1:]  # skip DC
    spectrogram_mel = hertz_to_mel(linear_hz)[:, np.newaxis]
    edges = np.linspace(hertz_to_mel(LOWER_EDGE_HZ), hertz_to_mel(UPPER_EDGE_HZ), NUM_MEL_BINS + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (spectrogram_mel - lower) / (center - lower)
    falling = (upper - spectrogram_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.pad(weights, [[1, 0], [0, 0]]).astype(np.float32)


NUM_FRAMES = 1 + (SAMPLE_RATE - WINDOW_SAMPLES) // HOP_SAMPLES  # 49 frames per 1 s clip
FEATURE_SHAPE = (NUM_FRAMES, NUM_MEL_BINS)

_WINDOW = hann_window()
_MEL_WEIGHTS = mel_weight_matrix()


def frame_features(frame: np.ndarray) -> np.ndarray:
    """One 480-sample frame -> 40 log-mel values (steps 2 to 5)."""
    frame = np.asarray(frame, dtype=np.float32)
    if frame.shape != (WINDOW_SAMPLES,):
        raise ValueError(f"expected a frame of {WINDOW_SAMPLES} samples, got shape {frame.shape}")
    return log_mel_frames(frame[np.newaxis, :])[0]


def mel_frames(frames: np.ndarray) -> np.ndarray:
    """(..., 480) frames -> (..., 40) mel energies (steps 2 to 4)."""
    spectrum = np.abs(np.fft.rfft(frames * _WINDOW, n=FFT_LENGTH, axis=-1))
    return (spectrum.astype(np.float32) @ _MEL_WEIGHTS).astype(np.float32)


def log_compress(energies: np.ndarray) -> np.ndarray:
    """Mel energies -> log-mel features (step 5)."""
    return np.log(np.asarray(energies, np.float32) + LOG_OFFSET).astype(np.float32)


def log_mel_frames(frames: np.ndarray) -> np.ndarray:
    """(..., 480) frames -> (..., 40) log-mel features."""
    return log_compress(mel_frames(frames))


def mel(audio: np.ndarray) -> np.ndarray:
    """16 kHz signals (..., samples) -> (..., frames, 40) mel energies."""
    audio = np.asarray(audio, dtype=np.float32)
    count = num_frames(audio.shape[-1])
    if not count:
        return np.zeros((*audio.shape[:-1], 0, NUM_MEL_BINS), np.float32)
    starts = np.arange(count) * HOP_SAMPLES
    return mel_frames(audio[..., starts[:, np.newaxis] + np.arange(WINDOW_SAMPLES)])


def log_mel(audio: np.ndarray) -> np.ndarray:
    """16 kHz signals (..., samples) -> (..., frames, 40) log-mel features; (49, 40) for 1 s."""
    return log_compress(mel(audio))


def pcen_smoothing() -> float:
    """The IIR coefficient of a 0.4 s time constant at a 20 ms hop (librosa.pcen's formula)."""
    t_frames = PCEN_TIME_CONSTANT_S * SAMPLE_RATE / HOP_SAMPLES
    return float((np.sqrt(1.0 + 4.0 * t_frames ** 2) - 1.0) / (2.0 * t_frames ** 2))


class PcenState:
    """PCEN frame by frame: ``step(mel energies (..., 40)) -> features``; the smoother starts at the first frame,
    or at ``floor`` (a mel energy) when given."""

    def __init__(self, floor: float | None = None) -> None:
        self.smooth: np.ndarray | None = None
        self.floor = floor
        self.b = np.float32(pcen_smoothing())

    def step(self, energies: np.ndarray) -> np.ndarray:
        energies = np.asarray(energies, np.float32) * np.float32(PCEN_SCALE)
        if self.smooth is None and self.floor is not None:
            self.smooth = np.full_like(energies, self.floor * PCEN_SCALE)
        self.smooth = energies if self.smooth is None else (1 - self.b) * self.smooth + self.b * energies
        gained = energies / (np.float32(PCEN_EPS) + self.smooth) ** np.float32(PCEN_GAIN)
        return ((gained + PCEN_BIAS) ** PCEN_POWER - PCEN_BIAS ** PCEN_POWER).astype(np.float32)


def pcen(energies: np.ndarray, floor: float | None = None) -> np.ndarray:
    """(..., frames, 40) mel energies of windows -> PCEN features, each window's smoother from its first frame
    (or from ``floor``)."""
    state = PcenState(floor)
    steps = [state.step(energies[..., t, :]) for t in range(energies.shape[-2])]
    return np.stack(steps, axis=-2) if steps else np.zeros_like(energies)


def pcen_floor(kind: str) -> float | None:
    """Where the PCEN smoother of ``kind`` starts (None: at the window's first frame); ValueError for an unknown
    kind."""
    if kind not in FEATURES:
        raise ValueError(f"features must be one of {FEATURES}, got {kind!r}")
    return PCEN_FLOOR if kind == "pcen_floor" else None


def features(audio: np.ndarray, kind: str = "log_mel") -> np.ndarray:
    """16 kHz windows (..., samples) -> (..., frames, 40) model inputs of ``kind`` (one of FEATURES)."""
    floor = pcen_floor(kind)
    return log_mel(audio) if kind == "log_mel" else pcen(mel(audio), floor)


class FrameFeatures:
    """Streaming: one window's mel energies frame by frame -> its features; ``reset()`` at the window's start."""

    def __init__(self, kind: str = "log_mel") -> None:
        self.floor = pcen_floor(kind)
        self.kind = kind
        self.reset()

    def reset(self) -> None:
        self.pcen = PcenState(self.floor)

    def __call__(self, energies: np.ndarray) -> np.ndarray:
        return log_compress(energies) if self.kind == "log_mel" else self.pcen.step(energies)


def features_batch(audio: np.ndarray, kind: str = "log_mel") -> np.ndarray:
    """(n, samples) clips -> (n, frames, 40) features of ``kind``, in chunks of FEATURE_BATCH clips."""
    audio = np.asarray(audio, dtype=np.float32)
    parts = [features(audio[start:start + FEATURE_BATCH], kind) for start in range(0, len(audio), FEATURE_BATCH)]
    return np.concatenate(parts) if parts else np.zeros((0, *FEATURE_SHAPE), np.float32)
