"""Speak words with espeak-ng, reached through the pip package ``espeakng-loader`` and ctypes.

espeakng-loader ships libespeak-ng.so and its data folder, so no system package is needed.
The library keeps global state (one voice, one callback per process), so use one ``Speaker`` per
process. Its output depends on what it spoke before in that process (pitch flutter carries over),
so callers that need reproducible audio speak a fixed sequence in a fresh process
(apps/speech/make_data.py does one word per fresh worker process).
"""
from __future__ import annotations

import ctypes
import os
from dataclasses import dataclass

import numpy as np

from apps.speech.audio import resample
from apps.speech.labels import SAMPLE_RATE

# speak_lib.h constants
AUDIO_OUTPUT_SYNCHRONOUS = 2  # espeak_Synth returns when the whole text has been rendered
POS_CHARACTER = 1
ESPEAK_CHARS_UTF8 = 1
PARAMETER_RATE = 1  # words per minute, 80..450 (default 175)
PARAMETER_VOLUME = 2  # 0..200 (default 100)
PARAMETER_PITCH = 3  # base pitch 0..100 (default 50)
PARAMETER_RANGE = 4  # pitch range 0..100 (default 50; 0 is monotone)
INT16_FULL_SCALE = 32768.0
RANDOM_SEED = 1  # reseeded before every utterance so the same request gives the same noise

# English accents shipped in the data folder (en-shaw, the Shavian alphabet, reads no Latin text).
ENGLISH_ACCENTS: tuple[str, ...] = (
    "en-us", "en-us-nyc", "en", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd", "en-029",
)

_SynthCallback = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p)


@dataclass(frozen=True)
class Prosody:
    """How a word is said: espeak-ng's rate (wpm), pitch, pitch range and volume."""

    rate: int = 175
    pitch: int = 50
    pitch_range: int = 50
    volume: int = 100


def data_path() -> str:
    import espeakng_loader

    return espeakng_loader.get_data_path()


def voice_variants() -> list[str]:
    """The voice variants (voices/!v: m1..m8, f1..f5, klatt, whisper, ...), sorted."""
    folder = os.path.join(data_path(), "voices", "!v")
    return sorted(name for name in os.listdir(folder) if os.path.isfile(os.path.join(folder, name)))


class Speaker:
    """A handle on this process's libespeak-ng, rendering text to 16 kHz float32 audio."""

    def __init__(self) -> None:
        import espeakng_loader

        self._library = ctypes.CDLL(espeakng_loader.get_library_path())
        self._declare_signatures()
        rate = self._library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path().encode(), 0)
        if rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed (returned {rate}); data folder {data_path()}")
        self.native_rate = rate  # 22,050 Hz for espeak-ng's voices
        self._chunks: list[np.ndarray] = []
        self._callback = _SynthCallback(self._collect)  # kept referenced: the library calls it later
        self._library.espeak_SetSynthCallback(self._callback)

    def _declare_signatures(self) -> None:
        library = self._library
        library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        library.espeak_Initialize.restype = ctypes.c_int
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_SetVoiceByName.restype = ctypes.c_int
        library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        library.espeak_SetParameter.restype = ctypes.c_int
        library.espeak_Synth.argtypes = [
            ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        library.espeak_Synth.restype = ctypes.c_int
        library.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        library.espeak_ng_SetRandSeed.restype = None

    def _collect(self, samples, count, events) -> int:  # noqa: ANN001 (ctypes callback)
        if count > 0 and samples:
            self._chunks.append(np.ctypeslib.as_array(samples, shape=(count,)).copy())
        return 0  # 0 = keep synthesizing

    def speak(self, text: str, voice: str = "en-us", prosody: Prosody = Prosody()) -> np.ndarray:
        """Render ``text`` with ``voice`` ("accent" or "accent+variant") -> float32 at 16 kHz."""
        if self._library.espeak_SetVoiceByName(voice.encode()) != 0:
            raise ValueError(f"espeak-ng has no voice {voice!r}")
        for parameter, value in (
            (PARAMETER_RATE, prosody.rate), (PARAMETER_PITCH, prosody.pitch),
            (PARAMETER_RANGE, prosody.pitch_range), (PARAMETER_VOLUME, prosody.volume),
        ):
            self._library.espeak_SetParameter(parameter, int(value), 0)
        self._library.espeak_ng_SetRandSeed(RANDOM_SEED)  # breathy variants add noise from espeak's PRNG
        self._chunks = []
        encoded = text.encode("utf-8")
        status = self._library.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, ESPEAK_CHARS_UTF8, None, None)
        if status != 0:
            raise RuntimeError(f"espeak_Synth failed with status {status} for {text!r}")
        native = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        return resample(native.astype(np.float32) / INT16_FULL_SCALE, self.native_rate, SAMPLE_RATE)


_SPEAKER: Speaker | None = None


def speaker() -> Speaker:
    """This process's Speaker, created on first use."""
    global _SPEAKER
    if _SPEAKER is None:
        _SPEAKER = Speaker()
    return _SPEAKER
