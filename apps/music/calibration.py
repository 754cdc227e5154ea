"""Calibration and held-out data for exporting melody models (``export`` finds it by app name).

Windows of ``window`` events from the model's own corpus: the cached corpus when it exists, else
a small deterministic subset of the folk tunes parsed now (FRESH_MACHINE_TUNES, a few seconds), so
export works on a fresh machine. Inputs are what the model reads (tokens, or lookback features);
targets are the next events.
"""
from __future__ import annotations

import numpy as np

from export.calibration import register_dataset

FRESH_MACHINE_TUNES = 100
SPLITS = {"calibration": "train", "train": "train", "heldout": "test"}


def corpus_tunes(config: dict, split: str) -> list[np.ndarray]:
    """The tunes of ``split``: from the training corpus's cache, else from a small fresh parse."""
    from apps.music import corpus

    data = config.get("data", {})
    data_dir, limit = data.get("data_dir"), data.get("limit")
    sources = corpus.midi_sources(data_dir) if data_dir else corpus.folk_sources()
    cached = corpus.cache_path(corpus.limit_sources(sources, limit), data_dir, limit)
    if not cached.exists():
        limit = min(limit or FRESH_MACHINE_TUNES, FRESH_MACHINE_TUNES)
    dataset, _, _ = corpus.prepare(data_dir, limit=limit, show_progress=False)
    tunes = dataset.split(split)
    return tunes or dataset.events  # a tiny subset may leave a split empty


@register_dataset("music")
def music_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (count, window[, features]), next events (count, window)) from ``split``'s tunes."""
    from apps.music.dataset import windows
    from apps.music.model import model_inputs
    from apps.music.presets import from_saved

    music = from_saved(config["music"], config["train"])
    rows, weights, _ = windows(corpus_tunes(config, SPLITS.get(split, "test")), music.window)
    complete = rows[weights.min(axis=1) > 0]  # whole windows only: no padding in calibration data
    rows = complete if len(complete) else rows
    chosen = np.random.default_rng(0).permutation(len(rows))[:count]
    rows = rows[np.sort(chosen)]
    return model_inputs(music, rows[:, :-1]), rows[:, 1:].astype(np.int64)
