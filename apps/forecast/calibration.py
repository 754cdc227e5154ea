"""Calibration and held-out windows for export's parity gates (``@register_dataset("forecast")``).

calibration/train: random windows of the training parts, the same number from every series; heldout: the
context windows of the rolling evaluation origins with their true offsets at every step as targets, so the
export task registry's forecast gate scores the median's error on the windows the app's MASE gate scores.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.evaluation import DEFAULT_ORIGINS, scale_for
from export.calibration import register_dataset

SPLIT_SEEDS = {"calibration": 1, "train": 3}


def heldout_windows(config: dict[str, Any], count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` context windows at rolling origins and their (count, context, horizon) target offsets, taken
    from the series in turn: a short series that runs out of held-out origins leaves the rest to the longer ones."""
    context, horizon = int(config["context"]), int(config["horizon"])
    per_series = max(DEFAULT_ORIGINS, count)
    windows, targets = [], []
    for s in data.series_from_config(config):
        scale = scale_for(s, config)
        at = data.origins(len(s), horizon, context, per_series)
        windows.append(data.context_inputs(s, scale, context, at))
        steps = at[:, None] - np.arange(context - 1, -1, -1)[None, :]
        targets.append(data.offsets(s.values, scale, horizon)[steps])
    order = sorted(((rank, which) for which, part in enumerate(windows) for rank in range(len(part))))[:count]
    return (np.stack([windows[which][rank] for rank, which in order]),
            np.stack([targets[which][rank] for rank, which in order]))


def training_windows(config: dict[str, Any], count: int, seed: int) -> np.ndarray:
    context, horizon = int(config["context"]), int(config["horizon"])
    all_series = data.series_from_config(config)
    rng = np.random.default_rng(seed)
    per_series = -(-count // len(all_series))
    windows = [data.training_windows(s, scale_for(s, config), context, horizon, per_series, rng)[0]
               for s in all_series]
    return np.concatenate(windows)[rng.permutation(per_series * len(all_series))[:count]]


@register_dataset("forecast")
def dataset(config: dict[str, Any], split: str, count: int) -> tuple[np.ndarray, np.ndarray | None]:
    if split == "heldout":
        return heldout_windows(config, count)
    return training_windows(config, count, SPLIT_SEEDS.get(split, 0)), None
