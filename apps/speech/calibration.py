"""The "speech" dataset for export, and the held-out scoring of the exported window models.

Windows come from the folder the model was trained on when it is still there; on a fresh machine a small
deterministic generated folder is synthesized into the cache instead (CALIBRATION_PER_WORD clips per word).
Splits: "calibration" = validation voices, "heldout" = test voices, "train" = training voices.

The export gate wants at least ``count`` (200) held-out windows. When a split has fewer examples (the small
folder of a user's own recordings may have a few dozen test clips), more windows are drawn from the same
split's clips, time-shifted by SHIFTS_SAMPLES (up to the +-100 ms shift training augments with): new windows
of held-out voices, never training data.
"""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from apps.speech import data, dataset, frontend
from apps.speech.model import features_of, model_inputs
from export.calibration import register_dataset

CALIBRATION_PER_WORD = 100  # 35 words: 10 test clips per word -> 100 keyword + 100 unknown + 10 silence windows
# Time shifts of the extra held-out windows (samples at 16 kHz): steps of 12.5 ms up to +-100 ms (the shift
# training augments with), nearest first: 17 windows per clip, so a split of 12 clips still gives 200.
SHIFT_STEP_SAMPLES, MAX_SHIFT_SAMPLES = 200, 1_600
SHIFTS_SAMPLES = (0, *[sign * shift for shift in range(SHIFT_STEP_SAMPLES, MAX_SHIFT_SAMPLES + 1, SHIFT_STEP_SAMPLES)
                       for sign in (1, -1)])


def data_folder(config: dict) -> Path:
    recorded = config.get("data", {}).get("path")
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    settings = config.get("data", {})
    return data.generated_folder(CALIBRATION_PER_WORD, settings.get("seed", 0), show_progress=False,
                                 engine_names=tuple(settings.get("engines", ("espeak",))))


def split_examples(config: dict, split: str) -> list[dataset.Example]:
    settings = config.get("data", {})
    splits = data.load_splits(data_folder(config), settings.get("silence_fraction", 0.1),
                              settings.get("unknown_fraction", 1.0), settings.get("seed", 0))
    return splits[data.SPLIT_OF_ROLE[split]]


def shifted(audio: np.ndarray, shift: int) -> np.ndarray:
    """(n, samples) clips moved ``shift`` samples later (earlier when negative), zero-filled."""
    moved = np.roll(audio, shift, axis=1)
    if shift > 0:
        moved[:, :shift] = 0.0
    elif shift < 0:
        moved[:, shift:] = 0.0
    return moved


def windows(examples: list[dataset.Example], count: int, features: str = "log_mel") -> tuple[np.ndarray, np.ndarray]:
    """``count`` (features, label) windows of ``examples``: the clips, then their time-shifted copies."""
    audio, labels = dataset.load_arrays(examples[:count])
    rounds = min(len(SHIFTS_SAMPLES), math.ceil(count / max(len(audio), 1)))
    clips = np.concatenate([shifted(audio, shift) for shift in SHIFTS_SAMPLES[:rounds]])[:count]
    return frontend.features_batch(clips, features), np.tile(labels, rounds)[:count]


@register_dataset("speech")
def speech_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs shaped like the model's input, labels) for ``count`` windows of ``split``."""
    features, labels = windows(split_examples(config, split), count, features_of(config))
    return model_inputs(features, config["model"]["input_shape"]), labels


def score_exports(model_dir: Path, exports: dict[str, dict]) -> dict:
    """after_export: accuracy of each exported window model on the whole held-out split (unseen voices)."""
    from apps.speech.commands.evaluate import evaluate_folder
    from suite.modeldir import read_config

    config = read_config(model_dir)
    settings, folder = config.get("data", {}), data_folder(config)
    scores = {}
    for name in exports:
        if name.startswith("model_") and (model_dir / name).is_file():
            result = evaluate_folder(model_dir / name, folder, "testing", settings.get("unknown_fraction", 1.0),
                                     settings.get("silence_fraction", 0.1), settings.get("seed", 0))
            scores[name] = {key: result[key] for key in ("accuracy", "examples", "per_class_accuracy")}
    return {"heldout_exports": scores} if scores else {}
