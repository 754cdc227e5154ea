"""The "speech" dataset for export: log-mel windows from the model's own data pipeline.

Uses the folder the model was trained on when it is still there; on a fresh machine it synthesizes a
small deterministic make-data folder into the cache instead (CALIBRATION_PER_WORD clips per word).
Splits: "calibration" = validation voices, "heldout" = test voices, "train" = training voices.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.speech import data
from export.calibration import register_dataset

CALIBRATION_PER_WORD = 20  # 35 words: enough validation/test clips for 200-sample calibration


def data_folder(config: dict) -> Path:
    recorded = config.get("data", {}).get("path")
    if recorded and Path(recorded).is_dir():
        return Path(recorded)
    return data.generated_folder(CALIBRATION_PER_WORD, config.get("data", {}).get("seed", 0), show_progress=False)


@register_dataset("speech")
def speech_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """(inputs shaped like the model's input, labels) for ``count`` examples of ``split``."""
    settings = config.get("data", {})
    splits = data.load_splits(data_folder(config), settings.get("silence_fraction", 0.1),
                              settings.get("unknown_fraction", 1.0), settings.get("seed", 0))
    features, labels = data.split_features(splits[data.SPLIT_OF_ROLE[split]], count)
    return data.model_inputs(features, config["model"]["input_shape"]), labels
