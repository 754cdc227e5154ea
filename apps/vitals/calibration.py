"""Export data for vitals models: simulated hospital_a stays at a fixed length, normalised as in training.

The exported sequence model runs at ``config["sequence_length"]`` hours (48: the first two ICU
days). Only stays at least that long are used, cut to their first 48 hours, so no sample is padded:
padding would be all-zero hours, which the Masking layer skips in a sequence but which a step model
never sees in real streaming (a real hour always has a mask or hours-since feature above 0).
"""
from __future__ import annotations

import numpy as np

from apps.vitals.cohorts import CALIBRATION_SEED, HELDOUT_SEED, heldout_cohort
from apps.vitals.features import NormStats, batch_features
from export.calibration import register_dataset
from suite.errors import UserError

EXPORT_SETTING = "hospital_a"
LONG_STAY_SHARE = 0.3     # at least this share of simulated stays last 48 hours (about 0.35 measured)


def long_stays(count: int, hours: int, seed: int) -> list:
    """The first ``count`` simulated stays of at least ``hours`` hours (cohorts nest, so this is deterministic)."""
    simulated = int(count / LONG_STAY_SHARE) + 10
    while True:
        chosen = [stay for stay in heldout_cohort(EXPORT_SETTING, simulated, seed) if stay.hours >= hours]
        if len(chosen) >= count:
            return chosen[:count]
        simulated *= 2


def fixed_length(stays, stats: NormStats, hours: int) -> tuple[np.ndarray, np.ndarray]:
    """Inputs (stays, hours, 108) and labels (stays, hours, 1) of the first ``hours`` hours of each stay."""
    if any(stay.hours < hours for stay in stays):
        raise ValueError(f"every stay needs at least {hours} hours")
    batch = batch_features(stays, stats, max_hours=hours)
    return batch.inputs, batch.labels[..., None]


@register_dataset("vitals")
def vitals_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` simulated stays of ``split``: "calibration", "heldout", or "train" (the training cohort's first stays)."""
    seeds = {"calibration": CALIBRATION_SEED, "heldout": HELDOUT_SEED,
             "train": config.get("vitals", {}).get("data_seed", 1)}
    if split not in seeds:
        raise UserError(f"vitals export data: unknown split {split!r}; expected one of {sorted(seeds)}")
    if "normalisation" not in config:
        raise UserError("config.json has no \"normalisation\": not a vitals model directory")
    stats = NormStats.from_record(config["normalisation"], "config.json")
    hours = int(config["sequence_length"])
    return fixed_length(long_stays(count, hours, seeds[split]), stats, hours)
