"""Background noises for augmentation and for ``_silence_``: white, pink, brown and mains hum."""
from __future__ import annotations

from typing import Callable

import numpy as np

from apps.speech.labels import SAMPLE_RATE

HUM_FREQUENCIES_HZ = (50.0, 60.0)  # European and American mains
HUM_HARMONICS = 4
HUM_HISS = 0.05  # a little white noise under the hum, relative to its RMS


def white(length: int, rng: np.random.Generator) -> np.ndarray:
    return rng.standard_normal(length)


def _shaped(length: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Gaussian noise whose power falls as 1 / f**exponent (shaped in the frequency domain)."""
    spectrum = np.fft.rfft(rng.standard_normal(length))
    frequencies = np.fft.rfftfreq(length)
    frequencies[0] = frequencies[1]  # no infinite gain at DC
    return np.fft.irfft(spectrum / frequencies ** (exponent / 2.0), n=length)


def pink(length: int, rng: np.random.Generator) -> np.ndarray:
    return _shaped(length, rng, exponent=1.0)


def brown(length: int, rng: np.random.Generator) -> np.ndarray:
    return _shaped(length, rng, exponent=2.0)


def hum(length: int, rng: np.random.Generator) -> np.ndarray:
    """Mains hum: a 50 or 60 Hz fundamental with decaying harmonics at random phases."""
    fundamental = rng.choice(HUM_FREQUENCIES_HZ)
    time = np.arange(length) / SAMPLE_RATE
    signal = sum(
        np.sin(2 * np.pi * fundamental * harmonic * time + rng.uniform(0, 2 * np.pi)) / harmonic
        for harmonic in range(1, HUM_HARMONICS + 1)
    )
    return signal + HUM_HISS * np.std(signal) * rng.standard_normal(length)


NOISES: dict[str, Callable[[int, np.random.Generator], np.ndarray]] = {
    "white": white, "pink": pink, "brown": brown, "hum": hum,
}


def make_noise(kind: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """``length`` samples of noise ``kind`` scaled to unit RMS (float32)."""
    signal = NOISES[kind](length, rng)
    return (signal / (np.sqrt(np.mean(signal**2)) + 1e-12)).astype(np.float32)

