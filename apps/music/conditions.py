"""Conditioning labels (style, meter, key) and their control tokens.

A conditioned model reads three control tokens before a melody's events: its style (the corpus
collection), its meter (the ABC ``M:`` field) and its key (music21's key analysis of the melody:
tonic and major/minor). They follow the event tokens in the input vocabulary, so the sequence model,
its step model and the int8 exports take them as ordinary tokens; the output stays the 39 events.
Transposing a melody by ``s`` semitones moves its key token's tonic by ``s`` (``transpose_prefix``).

Labels of the folk corpus come from its own metadata: the collection in the tune id, the ``M:`` line of
the tune's ABC text; a MIDI folder (``--data``) has style "other" and meter "other".
"""
from __future__ import annotations

import re
from typing import Iterable, Sequence

import numpy as np

from apps.music.encoding import SEMITONES_PER_OCTAVE, STEPS_PER_BAR, STEPS_PER_QUARTER, VOCAB_SIZE

STYLES = ("irish", "german", "chinese", "other")
# Essen collections by file prefix; O'Neill's 1850 and Ryan's Mammoth are Irish (and Scottish) dance tunes.
STYLE_OF_COLLECTION = {"oneills1850": "irish", "ryansMammoth": "irish"}
GERMAN_PREFIXES = ("altdeu", "ballad", "boehme", "dva", "erk", "fink", "kinder", "variant", "zuccal")
CHINESE_PREFIXES = ("han",)
METERS = ("2/4", "3/4", "4/4", "6/8", "other")
# sixteenths per bar of each meter token ("other" is not listed: its bars are unknown)
BAR_STEPS = {"2/4": 2 * STEPS_PER_QUARTER, "3/4": 3 * STEPS_PER_QUARTER, "4/4": STEPS_PER_BAR, "6/8": 3 * STEPS_PER_QUARTER}
METER_ALIASES = {"C": "4/4", "C|": "4/4", "2/2": "4/4"}  # common and cut time: 16 sixteenths a bar, as 4/4
MODES = ("major", "minor")
PITCH_NAMES = ("C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B")
PITCH_CLASS = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}
KEY_NAME = re.compile(r"^([A-Ga-g])([#b]?)$")

STYLE_BASE = VOCAB_SIZE
METER_BASE = STYLE_BASE + len(STYLES)
KEY_BASE = METER_BASE + len(METERS)
INPUT_VOCAB_SIZE = KEY_BASE + len(MODES) * SEMITONES_PER_OCTAVE  # 39 events + 4 + 5 + 24 = 72
PREFIX_LENGTH = 3  # style, meter, key


def bar_steps(meter: str | None) -> int:
    """Sixteenths per bar of a meter; 16 (4/4) for ``other`` or none."""
    return BAR_STEPS.get(meter or "", STEPS_PER_BAR)


def style_of(tune_id: str) -> str:
    """The style label of a corpus tune id like 'essenFolksong/han1.abc#3'."""
    collection, _, rest = tune_id.partition("/")
    if collection in STYLE_OF_COLLECTION:
        return STYLE_OF_COLLECTION[collection]
    if collection == "essenFolksong":
        if rest.startswith(GERMAN_PREFIXES):
            return "german"
        if rest.startswith(CHINESE_PREFIXES):
            return "chinese"
    return "other"


def meter_of(abc_text: str | None) -> str:
    """The meter label of a tune's ABC text (its first ``M:`` line); 'other' when missing or unusual."""
    found = re.search(r"^M:\s*(\S+)", abc_text or "", re.M)
    meter = METER_ALIASES.get(found.group(1), found.group(1)) if found else "other"
    return meter if meter in METERS else "other"


def key_label(events: np.ndarray) -> tuple[int, str]:
    """(tonic pitch class, 'major' or 'minor') of music21's key analysis of the melody's events."""
    from apps.music.encoding import decode
    from apps.music.stats import key_of

    key = key_of(decode(events))
    return int(key.tonic.pitchClass), "minor" if key.mode == "minor" else "major"


def parse_key(name: str) -> int:
    """The pitch class of a key name like 'D', 'F#', 'Bb' (ValueError naming it otherwise)."""
    match = KEY_NAME.match(name.strip())
    if not match:
        raise ValueError(f"key {name!r}: expected a note name like C, F#, Bb")
    letter, accidental = match.groups()
    return (PITCH_CLASS[letter.upper()] + {"#": 1, "b": -1, "": 0}[accidental]) % SEMITONES_PER_OCTAVE


def key_name(tonic: int, mode: str) -> str:
    return f"{PITCH_NAMES[tonic % SEMITONES_PER_OCTAVE]} {mode}"


def prefix_tokens(style: str, meter: str, tonic: int, mode: str) -> np.ndarray:
    """The three control tokens; ValueError naming an unknown label."""
    for value, known, what in ((style, STYLES, "style"), (meter, METERS, "meter"), (mode, MODES, "mode")):
        if value not in known:
            raise ValueError(f"{what} {value!r}: expected one of {', '.join(known)}")
    key = KEY_BASE + MODES.index(mode) * SEMITONES_PER_OCTAVE + tonic % SEMITONES_PER_OCTAVE
    return np.array([STYLE_BASE + STYLES.index(style), METER_BASE + METERS.index(meter), key], np.int64)


def labels_of(prefix: Sequence[int]) -> dict[str, object]:
    """The labels of a prefix (the inverse of ``prefix_tokens``)."""
    style, meter, key = (int(token) for token in prefix)
    mode, tonic = divmod(key - KEY_BASE, SEMITONES_PER_OCTAVE)
    return {"style": STYLES[style - STYLE_BASE], "meter": METERS[meter - METER_BASE], "tonic": tonic,
            "mode": MODES[mode], "key": key_name(tonic, MODES[mode])}


def transpose_prefix(prefix: np.ndarray, semitones: int) -> np.ndarray:
    """The prefix of the melody transposed by ``semitones``: its key token's tonic moves with it."""
    prefix = np.array(prefix, np.int64)
    mode, tonic = divmod(int(prefix[2]) - KEY_BASE, SEMITONES_PER_OCTAVE)
    prefix[2] = KEY_BASE + mode * SEMITONES_PER_OCTAVE + (tonic + semitones) % SEMITONES_PER_OCTAVE
    return prefix


def corpus_prefixes(tune_ids: Sequence[str], events: Sequence[np.ndarray], texts: dict[str, str],
                    show_progress: bool = False) -> list[np.ndarray]:
    """The control tokens of every tune: style from its id, meter from its ABC text (``texts`` by id; a MIDI
    tune has none), key analysed from its events."""
    from suite.cli import progress

    prefixes = []
    for tune_id, tune in progress(zip(tune_ids, events), "analysing keys", total=len(tune_ids), enabled=show_progress):
        tonic, mode = key_label(tune)
        style = style_of(tune_id) if tune_id in texts else "other"
        prefixes.append(prefix_tokens(style, meter_of(texts.get(tune_id)), tonic, mode))
    return prefixes


def label_counts(prefixes: Iterable[np.ndarray]) -> list[list]:
    """config.json's ``condition_counts``: [style, meter, tonic, mode, count] per label combination seen."""
    counts: dict[tuple, int] = {}
    for prefix in prefixes:
        labels = labels_of(prefix)
        combination = (labels["style"], labels["meter"], labels["tonic"], labels["mode"])
        counts[combination] = counts.get(combination, 0) + 1
    return [[*combination, count] for combination, count in sorted(counts.items())]


def draw_prefix(counts: Sequence[Sequence], rng: np.random.Generator, style: str | None = None,
                meter: str | None = None, tonic: int | None = None, mode: str | None = None) -> np.ndarray:
    """Control tokens with the given labels; the others drawn from the training tunes' combinations that
    agree with the given ones (or with none of them, when no training tune does)."""
    given = {"style": style, "meter": meter, "tonic": tonic, "mode": mode}
    rows = [dict(zip(("style", "meter", "tonic", "mode", "count"), row)) for row in counts]
    matching = [row for row in rows if all(value is None or row[name] == value for name, value in given.items())]
    pool = matching or rows
    weights = np.array([row["count"] for row in pool], np.float64)
    drawn = pool[int(rng.choice(len(pool), p=weights / weights.sum()))]
    labels = {name: drawn[name] if value is None else value for name, value in given.items()}
    return prefix_tokens(labels["style"], labels["meter"], int(labels["tonic"]), labels["mode"])


def scoring_prefix(counts: Sequence[Sequence], events: np.ndarray) -> np.ndarray:
    """Control tokens to score a melody with no labels: its analysed key, and the style and meter of the
    most frequent training combination in that mode."""
    tonic, mode = key_label(events)
    rows = [row for row in counts if row[3] == mode] or list(counts)
    style, meter = max(rows, key=lambda row: row[-1])[:2]
    return prefix_tokens(style, meter, tonic, mode)
