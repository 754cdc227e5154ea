"""Export data for vitals models, and the app-level check of the exported step model.

The exported sequence model runs at ``config["sequence_length"]`` hours (48: the first two ICU
days). Only stays at least that long are used, cut to their first 48 hours, so no sample is padded:
padding would be all-zero hours, which a step model never sees in real streaming (a real hour always
has a mask or hours-since feature above 0).

``streamed_check`` (the app's ``after_export``) streams ``step_int8.tflite`` over whole held-out stays
hour by hour, as ``monitor`` runs it on a device, and records its AUROC next to the float model's.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from apps.vitals.data import CALIBRATION_SEED, HELDOUT_SEED, heldout_cohort
from apps.vitals.features import NormStats, batch_features
from export.calibration import register_dataset
from suite.errors import UserError

EXPORT_SETTING = "hospital_a"
LONG_STAY_SHARE = 0.3     # at least this share of simulated stays last 48 hours (about 0.35 measured)
STREAMED_FILE = "step_int8.tflite"


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


def data_seed(config: dict) -> int:
    """The training cohort's seed: ``settings`` (the framework's config.json), ``vitals`` in older ones."""
    return int((config.get("settings") or config.get("vitals") or {}).get("data_seed", 1))


@register_dataset("vitals")
def vitals_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` simulated stays of ``split``: "calibration", "heldout", or "train" (the training cohort's first stays)."""
    seeds = {"calibration": CALIBRATION_SEED, "heldout": HELDOUT_SEED, "train": data_seed(config)}
    if split not in seeds:
        raise UserError(f"vitals export data: unknown split {split!r}; expected one of {sorted(seeds)}")
    if "normalisation" not in config:
        raise UserError("config.json has no \"normalisation\": not a vitals model directory")
    stats = NormStats.from_record(config["normalisation"], "config.json")
    hours = int(config["sequence_length"])
    return fixed_length(long_stays(count, hours, seeds[split]), stats, hours)


def streamed_check(model_dir: Path, exports: dict[str, dict]) -> dict:
    """``int8_streamed``: per simulated hospital, AUROC of the float model and of the int8 step model streamed
    over as many whole held-out stays as ``train`` scored (none when it scored none or tflite was not exported)."""
    from suite.modeldir import read_metrics

    stays = int(read_metrics(model_dir).get("heldout", {}).get("hospital_a", {}).get("stays", 0))
    if STREAMED_FILE not in exports or stays == 0:
        return {}
    from apps.vitals.simulate import SETTINGS

    return {"int8_streamed": {setting: streamed_auroc(model_dir, stays, setting) for setting in SETTINGS}}


def streamed_auroc(model_dir: Path, stays_count: int, setting: str) -> dict:
    """AUROC of the float Keras model and of step_int8.tflite streamed over whole held-out stays."""
    from apps.vitals.model import VitalsModel, open_monitor
    from apps.vitals.utility import hourly_auroc

    vitals = VitalsModel.load(model_dir)
    monitor = open_monitor(Path(model_dir) / STREAMED_FILE)
    stays = heldout_cohort(setting, stays_count)
    labels = [stay.labels for stay in stays]
    float_auroc = hourly_auroc(labels, vitals.predict(stays))
    int8_auroc = hourly_auroc(labels, [monitor.score(stay).risk for stay in stays])
    return {"stays": len(stays), "hours": int(sum(stay.hours for stay in stays)),
            "auroc_float": round(float_auroc, 4), "auroc_int8": round(int8_auroc, 4),
            "auroc_difference": round(int8_auroc - float_auroc, 4)}
