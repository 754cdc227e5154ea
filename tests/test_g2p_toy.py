"""A toy lexicon for the g2p tests (imported by the others): regular spelling with a few context rules, learnable in seconds."""
from __future__ import annotations

from pathlib import Path

import numpy as np

# Letter -> phoneme of the toy language; "c" reads S before e/i and K elsewhere, a final "e" is silent.
TOY_LETTERS = {"b": "B", "d": "D", "k": "K", "m": "M", "n": "N", "p": "P", "s": "S", "t": "T", "l": "L",
               "a": "AE", "e": "EH", "i": "IH", "o": "AA", "u": "AH"}
TOY_CONSONANTS = "bdkmnpstlc"
TOY_VOWELS = "aeiou"


def pronounce(word: str) -> list[str]:
    phones = []
    for index, letter in enumerate(word):
        following = word[index + 1] if index + 1 < len(word) else ""
        if letter == "c":
            phones.append("S" if following in ("e", "i") else "K")
        elif letter == "e" and index == len(word) - 1 and index > 0:
            continue
        else:
            phones.append(TOY_LETTERS[letter])
    return phones


def toy_words(count: int, seed: int = 0) -> list[str]:
    rng = np.random.default_rng(seed)
    words: set[str] = set()
    while len(words) < count:
        syllables = rng.integers(1, 4)
        words.add("".join(rng.choice(list(TOY_CONSONANTS)) + rng.choice(list(TOY_VOWELS))
                          for _ in range(syllables)))
    return sorted(words)


def write_toy_lexicon(path: Path, count: int = 800) -> Path:
    lines = ["# a toy lexicon: regular spelling with context rules"]
    lines += [f"{word} {' '.join(pronounce(word))}" for word in toy_words(count)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_toy_rules():
    assert pronounce("cice") == ["S", "IH", "S"]          # c before e/i is S, a final e is silent
    assert pronounce("cola") == ["K", "AA", "L", "AE"]
    assert len(toy_words(50, seed=2)) == 50 and toy_words(50, seed=2) == toy_words(50, seed=2)
