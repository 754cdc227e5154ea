"""The "no learning" reference: espeak-ng's own English (en-us) letter-to-sound rules, its IPA mapped to ARPAbet.

espeak-ng comes from the pip package ``espeakng-loader`` and is driven through ctypes (as apps/speech/synth.py
does for audio); ``espeak_TextToPhonemes`` in IPA mode returns e.g. ``həlˈoʊ`` for "hello", mapped here to
``HH AH L OW`` (stress digits from ˈ/ˌ when the model keeps stress). espeak also carries its own exception
dictionary, so this is rules plus espeak's word list, not rules alone.
"""
from __future__ import annotations

import ctypes
import unicodedata
from functools import lru_cache

AUDIO_OUTPUT_SYNCHRONOUS = 2
ESPEAK_CHARS_UTF8 = 1
IPA_MODE = 2                      # espeak_TextToPhonemes phonememode bit 1: IPA output
VOICE = b"en-us"
PRIMARY, SECONDARY = "ˈ", "ˌ"
# Marks that carry no ARPAbet phoneme: length, syllable break, tie bars, rhoticity hooks kept on their vowel.
IGNORED = set("ː.‿͡ ") | {"\u0329", "\u0361", "\u032f"}
# IPA (espeak-ng en-us) -> ARPAbet, longest match first. Syllabic consonants become AH + consonant, as in CMUdict.
IPA_TO_ARPABET = {
    "aɪ": ("AY",), "aʊ": ("AW",), "eɪ": ("EY",), "oʊ": ("OW",), "ɔɪ": ("OY",), "tʃ": ("CH",), "dʒ": ("JH",),
    "ɪɹ": ("IH", "R"), "ɛɹ": ("EH", "R"), "ʊɹ": ("UH", "R"), "ɑɹ": ("AA", "R"), "ɔɹ": ("AO", "R"),
    "oːɹ": ("AO", "R"), "oɹ": ("AO", "R"), "əl": ("AH", "L"), "n̩": ("AH", "N"), "l̩": ("AH", "L"), "m̩": ("AH", "M"),
    "ə": ("AH",), "ɐ": ("AH",), "ʌ": ("AH",), "æ": ("AE",), "a": ("AE",), "ɑ": ("AA",), "ɒ": ("AA",),
    "ɔ": ("AO",), "ɛ": ("EH",), "e": ("EH",), "ɜ": ("ER",), "ɚ": ("ER",), "ɝ": ("ER",), "ɪ": ("IH",),
    "ᵻ": ("IH",), "i": ("IY",), "ʊ": ("UH",), "u": ("UW",), "o": ("OW",),
    "p": ("P",), "b": ("B",), "t": ("T",), "d": ("D",), "k": ("K",), "g": ("G",), "ɡ": ("G",), "f": ("F",),
    "v": ("V",), "θ": ("TH",), "ð": ("DH",), "s": ("S",), "z": ("Z",), "ʃ": ("SH",), "ʒ": ("ZH",),
    "h": ("HH",), "m": ("M",), "n": ("N",), "ŋ": ("NG",), "l": ("L",), "ɫ": ("L",), "ɹ": ("R",), "r": ("R",),
    "w": ("W",), "j": ("Y",), "ɾ": ("T",), "ʔ": ("T",), "x": ("K",), "ç": ("HH",), "ʍ": ("W",),
}
LONGEST = max(map(len, IPA_TO_ARPABET))
VOWEL_PHONES = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


def ipa_to_arpabet(ipa: str, stress: bool) -> tuple[str, ...]:
    """ARPAbet for espeak's IPA; stress digits (1 primary, 2 secondary, 0 otherwise) on vowels if ``stress``."""
    text = unicodedata.normalize("NFD", ipa)
    phones: list[str] = []
    pending = "0"
    i = 0
    while i < len(text):
        if text[i] in (PRIMARY, SECONDARY):
            pending = "1" if text[i] == PRIMARY else "2"
            i += 1
            continue
        for size in range(LONGEST, 0, -1):
            chunk = "".join(ch for ch in text[i:i + size] if ch not in "ː")
            if chunk in IPA_TO_ARPABET and len(text[i:i + size]) == size:
                for phone in IPA_TO_ARPABET[chunk]:
                    if phone in VOWEL_PHONES:
                        phones.append(phone + pending if stress else phone)
                        pending = "0"
                    else:
                        phones.append(phone)
                i += size
                break
        else:
            i += 1                   # a mark or an unmapped symbol: no phoneme
    return tuple(phones)


class Espeak:
    """espeak-ng's en-us text-to-phonemes through ctypes."""

    def __init__(self) -> None:
        import espeakng_loader

        self._library = ctypes.CDLL(espeakng_loader.get_library_path())
        library = self._library
        library.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        library.espeak_TextToPhonemes.argtypes = [ctypes.POINTER(ctypes.c_char_p), ctypes.c_int, ctypes.c_int]
        library.espeak_TextToPhonemes.restype = ctypes.c_char_p
        if library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, espeakng_loader.get_data_path().encode(), 0) <= 0:
            raise RuntimeError("espeak_Initialize failed")
        if library.espeak_SetVoiceByName(VOICE) != 0:
            raise RuntimeError(f"espeak-ng has no voice {VOICE.decode()}")

    def ipa(self, word: str) -> str:
        """espeak's IPA for ``word`` (every clause of it, joined)."""
        encoded = ctypes.c_char_p(word.encode())
        pointer = ctypes.pointer(encoded)
        parts = []
        while pointer.contents.value:
            result = self._library.espeak_TextToPhonemes(pointer, ESPEAK_CHARS_UTF8, IPA_MODE)
            parts.append((result or b"").decode("utf-8", "replace"))
        return "".join(parts)

    def pronounce(self, word: str, stress: bool) -> tuple[str, ...]:
        return ipa_to_arpabet(self.ipa(word), stress)


@lru_cache(maxsize=1)
def espeak() -> Espeak:
    return Espeak()


def predict_lexicon(words: list[str], stress: bool) -> dict[str, tuple[str, ...]]:
    engine = espeak()
    return {word: engine.pronounce(word, stress) for word in words}
