"""Read a Speech Commands folder (Google's layout, real or made by prepare-data) into examples.

- ``<word>/*.wav``: one folder per word; the ten keywords keep their label, other words are ``_unknown_``.
- ``validation_list.txt`` / ``testing_list.txt``: "<word>/<file>.wav" lines; every other clip is training.
- ``_background_noise_/*.wav``: long noise recordings; ``_silence_`` examples are random 1 s crops of them.
- As in Google's input_data.py, each split gets ``silence_fraction`` and ``unknown_fraction`` times its
  keyword count of silence and unknown examples (sampled with ``seed``).

Google's official test set (speech_commands_test_set_v0.02) has another layout: ``_silence_/`` and
``_unknown_/`` folders of 1 s clips beside the ten keyword folders, no ``_background_noise_/`` and no list
files. Its clips are already balanced, so they are taken as they are: a ``_silence_/`` clip is a silence
example, an ``_unknown_/`` clip an unknown one, nothing is subsampled, and a folder without list files puts
every clip into the testing split.
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.speech.audio import fit_length, load_clip, read_wav
from apps.speech.labels import (
    BACKGROUND_FOLDER, CLIP_SAMPLES, KEYWORDS, LABEL_INDEX, SILENCE, SPLITS, TESTING_LIST, UNKNOWN, VALIDATION_LIST,
    label_for_word,
)

LAYOUTS = ("release", "test-set")  # Google's full release, and its official test set
from suite.errors import UserError

SILENCE_GAIN = (0.0, 1.0)  # silence = background crop times a uniform gain (0 = digital silence)


@dataclass(frozen=True)
class Example:
    """One 1 s example: a word clip, or (for _silence_) a crop of a background file at ``offset``."""

    path: str
    label: int
    offset: int = 0  # first sample of the crop (background files only)
    gain: float = 1.0


@functools.lru_cache(maxsize=16)
def _background(path: str) -> np.ndarray:
    return read_wav(path)


def load_example(example: Example) -> np.ndarray:
    """The 16,000 float32 samples of an example."""
    if example.label == LABEL_INDEX[SILENCE]:
        noise = _background(example.path)
        return fit_length(noise[example.offset:example.offset + CLIP_SAMPLES]) * np.float32(example.gain)
    return load_clip(example.path)


def read_list(root: Path, name: str) -> set[str]:
    """Entries of a split list file, as "<word>/<file>.wav"; empty when the file is absent."""
    path = root / name
    if not path.exists():
        return set()
    return {line.strip() for line in path.read_text().splitlines() if line.strip()}


def word_clips(root: Path) -> list[str]:
    """All "<word>/<file>.wav" clips, sorted; the background folder is not a word."""
    return sorted(
        f"{path.parent.name}/{path.name}"
        for path in root.glob("*/*.wav")
        if path.parent.name != BACKGROUND_FOLDER
    )


def silence_examples(backgrounds: list[str], count: int, rng: np.random.Generator) -> list[Example]:
    examples = []
    for _ in range(count):
        path = backgrounds[int(rng.integers(len(backgrounds)))]
        longest_start = max(0, len(_background(path)) - CLIP_SAMPLES)
        examples.append(Example(path, LABEL_INDEX[SILENCE], int(rng.integers(longest_start + 1)),
                                float(rng.uniform(*SILENCE_GAIN))))
    return examples


def folder_layout(root: Path) -> str:
    """"test-set" when the folder has labelled ``_silence_/`` or ``_unknown_/`` clips, else "release"."""
    return "test-set" if any((root / label).is_dir() for label in (SILENCE, UNKNOWN)) else "release"


def labelled_examples(root: Path, clips: list[str], validation: set[str],
                      testing: set[str]) -> dict[str, list[Example]]:
    """The test-set layout: every clip with its folder's label, none sampled; without list files, all testing."""
    listed = bool(validation or testing)
    result: dict[str, list[Example]] = {split: [] for split in SPLITS}
    for clip in clips:
        split = _split_of(clip, validation, testing) if listed else "testing"
        result[split].append(Example(str(root / clip), LABEL_INDEX[label_for_word(clip.split("/")[0])]))
    return result


def load_folder(root: str | Path, silence_fraction: float = 0.1, unknown_fraction: float = 0.1,
                seed: int = 0) -> dict[str, list[Example]]:
    """{"training", "validation", "testing"} -> shuffled examples of a Speech Commands folder (either layout)."""
    root = Path(root)
    if not root.is_dir():
        raise UserError(f"{root}: no such folder")
    clips = word_clips(root)
    if not clips:
        raise UserError(f"{root}: no WAV files in word folders (expected <word>/<clip>.wav)")
    validation, testing = read_list(root, VALIDATION_LIST), read_list(root, TESTING_LIST)
    if folder_layout(root) == "test-set":
        return labelled_examples(root, clips, validation, testing)
    backgrounds = [str(path) for path in sorted((root / BACKGROUND_FOLDER).glob("*.wav"))]
    if silence_fraction > 0 and not backgrounds:
        raise UserError(f"{root / BACKGROUND_FOLDER}: no WAV files to cut _silence_ examples from")
    rng = np.random.default_rng(seed)
    result = {}
    for split in SPLITS:
        in_split = [clip for clip in clips if _split_of(clip, validation, testing) == split]
        keywords = [Example(str(root / clip), LABEL_INDEX[label_for_word(clip.split("/")[0])])
                    for clip in in_split if label_for_word(clip.split("/")[0]) in KEYWORDS]
        unknowns = [Example(str(root / clip), LABEL_INDEX[UNKNOWN])
                    for clip in in_split if label_for_word(clip.split("/")[0]) == UNKNOWN]
        rng.shuffle(unknowns)
        unknowns = unknowns[:math.ceil(unknown_fraction * len(keywords))]
        silences = silence_examples(backgrounds, math.ceil(silence_fraction * len(keywords)), rng) if backgrounds else []
        examples = keywords + unknowns + silences
        rng.shuffle(examples)
        result[split] = examples
    return result


def background_audio(root: str | Path) -> np.ndarray:
    """All ``_background_noise_`` recordings of a folder, concatenated (float32; empty when there are none)."""
    paths = sorted((Path(root) / BACKGROUND_FOLDER).glob("*.wav"))
    return np.concatenate([_background(str(path)) for path in paths]).astype(np.float32) if paths \
        else np.zeros(0, np.float32)


def _split_of(clip: str, validation: set[str], testing: set[str]) -> str:
    if clip in testing:
        return "testing"
    if clip in validation:
        return "validation"
    return "training"


def speaker_of(path: str) -> str:
    """The speaker id of a Speech Commands file name: the part before "_nohash_"."""
    return Path(path).name.split("_nohash_")[0]


def load_arrays(examples: list[Example]) -> tuple[np.ndarray, np.ndarray]:
    """(n, 16000) float32 audio and (n,) int32 labels, decoded in memory."""
    audio = np.stack([load_example(example) for example in examples]) if examples else np.zeros((0, CLIP_SAMPLES))
    return audio.astype(np.float32), np.array([example.label for example in examples], np.int32)
