"""The 12-class Speech Commands v2 label set and the clip format it assumes."""
from __future__ import annotations

# The ten keywords of the Speech Commands v2 12-class task, in the conventional order.
KEYWORDS: tuple[str, ...] = ("yes", "no", "up", "down", "left", "right", "on", "off", "stop", "go")
SILENCE = "_silence_"
UNKNOWN = "_unknown_"
LABELS: tuple[str, ...] = KEYWORDS + (SILENCE, UNKNOWN)
LABEL_INDEX: dict[str, int] = {label: index for index, label in enumerate(LABELS)}

# Speech Commands' other words: everything that is not a keyword is trained as _unknown_.
UNKNOWN_WORDS: tuple[str, ...] = (
    "bed", "bird", "cat", "dog", "eight", "five", "four", "happy", "house", "marvin",
    "nine", "one", "seven", "sheila", "six", "three", "tree", "two", "wow", "zero",
    "backward", "forward", "follow", "learn", "visual",
)

SAMPLE_RATE = 16_000  # Hz, the rate of every Speech Commands clip
CLIP_SECONDS = 1.0
CLIP_SAMPLES = int(SAMPLE_RATE * CLIP_SECONDS)  # 16,000 samples per example

# Folder and file names of the Speech Commands layout.
BACKGROUND_FOLDER = "_background_noise_"
VALIDATION_LIST = "validation_list.txt"
TESTING_LIST = "testing_list.txt"
SPLITS: tuple[str, ...] = ("training", "validation", "testing")


def label_for_word(word: str) -> str:
    """Folder name -> class label: keywords and ``_silence_`` stay, every other word is ``_unknown_``."""
    word = word.lower()
    return word if word in KEYWORDS or word == SILENCE else UNKNOWN
