"""Calibration and held-out windows for export's parity gates (``@register_dataset("forecast")``).

calibration/train: random windows of the training parts; heldout: the context windows of the rolling
evaluation origins, so the int8 files are checked on the windows the MASE gate scores.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.evaluation import DEFAULT_ORIGINS, scale_for
from export.calibration import register_dataset

SPLIT_SEEDS = {"calibration": 1, "train": 3}


def heldout_windows(config: dict[str, Any], count: int) -> np.ndarray:
    """``count`` context windows at rolling origins, taken from the series in turn: a short series that runs
    out of held-out origins leaves the rest to the longer ones."""
    context, horizon = int(config["context"]), int(config["horizon"])
    per_series = max(DEFAULT_ORIGINS, count)
    windows = [data.context_inputs(s, scale_for(s, config), context,
                                   data.origins(len(s), horizon, context, per_series))
               for s in data.series_from_config(config)]
    order = sorted(((rank, which) for which, part in enumerate(windows) for rank in range(len(part))))
    return np.stack([windows[which][rank] for rank, which in order[:count]])


def training_windows(config: dict[str, Any], count: int, seed: int) -> np.ndarray:
    context, horizon = int(config["context"]), int(config["horizon"])
    all_series = data.series_from_config(config)
    rng = np.random.default_rng(seed)
    per_series = -(-count // len(all_series))
    windows = [data.training_windows(s, scale_for(s, config), context, horizon, per_series, rng)[0]
               for s in all_series]
    return np.concatenate(windows)[rng.permutation(per_series * len(all_series))[:count]]


@register_dataset("forecast")
def dataset(config: dict[str, Any], split: str, count: int) -> tuple[np.ndarray, None]:
    if split == "heldout":
        return heldout_windows(config, count), None
    return training_windows(config, count, SPLIT_SEEDS.get(split, 0)), None
