"""Feature arrays for training and scoring: a Speech Commands folder -> (log-mel, label) per split.

Without ``--data``, ``train`` synthesizes a folder with make-data into the cache
(``$RNN_SUITE_CACHE/speech``, else ``~/.cache/rnn-suite/speech``), keyed by make-data's data version,
clips per word and seed.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from apps.speech import dataset, make_data
from apps.speech.labels import LABELS

CACHE_ENV = "RNN_SUITE_CACHE"
FEATURE_BATCH = 512  # clips per tf.signal call: bounds memory, amortizes the call
# Split names of a Speech Commands folder, by the role they play here.
SPLIT_OF_ROLE = {"train": "training", "calibration": "validation", "validation": "validation",
                 "heldout": "testing", "testing": "testing"}


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV)
    return (Path(base) if base else Path.home() / ".cache" / "rnn-suite") / "speech"


def generated_folder(per_word: int, seed: int, workers: int | None = None, show_progress: bool = True) -> Path:
    """A make-data folder in the cache, synthesized on first use (deterministic for a seed)."""
    # named by make-data's data version too: a folder an older make-data wrote is never reused
    folder = cache_dir() / f"generated-v{make_data.DATA_VERSION}-w{per_word}-s{seed}"
    if not (folder / make_data.MANIFEST).is_file():
        workers = workers or max(1, min(4, os.cpu_count() or 1))
        make_data.make_data(folder, per_word=per_word, seed=seed, workers=workers, show_progress=show_progress)
    return folder


def log_mel_batch(audio: np.ndarray) -> np.ndarray:
    """(n, 16000) audio -> (n, 49, 40) float32 log-mel, through the tf.signal front-end."""
    from apps.speech.features import FEATURE_SHAPE, log_mel
    from suite.keras import tf

    parts = [log_mel(tf.constant(audio[start:start + FEATURE_BATCH])).numpy()
             for start in range(0, len(audio), FEATURE_BATCH)]
    return np.concatenate(parts) if parts else np.zeros((0, *FEATURE_SHAPE), np.float32)


def load_splits(folder: str | os.PathLike, silence_fraction: float, unknown_fraction: float,
                seed: int) -> dict[str, list[dataset.Example]]:
    return dataset.load_folder(folder, silence_fraction=silence_fraction, unknown_fraction=unknown_fraction,
                               seed=seed)


def split_features(examples: list[dataset.Example], count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(features (n, 49, 40), labels (n,)) of the first ``count`` examples (all when None)."""
    audio, labels = dataset.load_arrays(examples[:count] if count else examples)
    return log_mel_batch(audio), labels


def model_inputs(features: np.ndarray, input_shape: list[int] | tuple[int, ...]) -> np.ndarray:
    """Reshape (n, 49, 40) features to the model's input (the CRNN folds 40 bins into 10 x 4 x 1)."""
    return np.asarray(features, np.float32).reshape((len(features), *[int(d) for d in input_shape]))


def class_counts(labels: np.ndarray) -> dict[str, int]:
    return {label: int(np.sum(labels == index)) for index, label in enumerate(LABELS)}
