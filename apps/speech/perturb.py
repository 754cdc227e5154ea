"""Speaker and room perturbation for make-data, in numpy/scipy: speed (vocal-tract length, pitch and tempo
together, as Kaldi's speed perturbation) and simulated room impulse responses.

The room model is the statistical one behind most RIR simulators' late tail (Schroeder / Polack): a direct
path, then Gaussian noise decaying by 60 dB over RT60 after a short pre-delay, lowpassed more as it decays
(air and wall absorption take the highs first), scaled to a direct-to-reverberant ratio. No room geometry
is needed, so it costs one FFT convolution per clip.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from apps.speech.audio import resample
from apps.speech.labels import SAMPLE_RATE

PREDELAY_S = (0.002, 0.012)  # first reflection after the direct path
DECAY_DB = 60.0


@dataclass(frozen=True)
class Room:
    """A simulated room: reverberation time (s), direct-to-reverberant ratio (dB), pre-delay (s)."""

    rt60_s: float
    drr_db: float
    predelay_s: float


def speed(audio: np.ndarray, factor: float) -> np.ndarray:
    """Play ``audio`` ``factor`` times faster: durations / factor, pitch and formants x factor (a shorter vocal
    tract for factor > 1)."""
    if factor == 1.0:
        return np.asarray(audio, np.float32)
    return resample(audio, int(round(SAMPLE_RATE * factor)), SAMPLE_RATE)


def impulse_response(room: Room, rng: np.random.Generator) -> np.ndarray:
    """The room's impulse response at 16 kHz: 1 at t=0, then the decaying, darkening tail."""
    length = int(min(room.rt60_s, 1.0) * SAMPLE_RATE)
    time = np.arange(length) / SAMPLE_RATE
    tail = rng.standard_normal(length) * 10 ** (-DECAY_DB / 20.0 * time / room.rt60_s)
    # darkening: a one-pole lowpass whose coefficient grows with time (0 at the start, 0.8 at RT60)
    smoothing = np.clip(0.8 * time / room.rt60_s, 0.0, 0.8)
    darkened = np.empty_like(tail)
    previous = 0.0
    for index, (value, alpha) in enumerate(zip(tail, smoothing)):
        previous = alpha * previous + (1.0 - alpha) * value
        darkened[index] = previous
    darkened[: int(room.predelay_s * SAMPLE_RATE)] = 0.0
    energy = float(np.sum(darkened**2)) or 1.0
    darkened *= np.sqrt(10 ** (-room.drr_db / 10.0) / energy)  # direct path energy 1
    darkened[0] = 1.0
    return darkened.astype(np.float32)


def reverberate(audio: np.ndarray, room: Room, rng: np.random.Generator) -> np.ndarray:
    """``audio`` in the room, with its reverberation tail (len(audio) + len(response) - 1 samples)."""
    from scipy.signal import fftconvolve

    return fftconvolve(np.asarray(audio, np.float32), impulse_response(room, rng)).astype(np.float32)
