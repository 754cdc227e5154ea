"""The train hook: fit the hourly-risk GRU on PSV stays (the preset's simulated cohort unless ``--data``).

The shared ``train`` command (suite/app/shared_commands.py) calls ``train(run)``: checkpoints live in
``run.run_dir/backup``, so a killed run resumes when the same command runs again. The alert threshold
is chosen on the validation stays; held-out stays of both simulated hospitals are scored next to NEWS2.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Sequence

import numpy as np

from apps.vitals import data
from apps.vitals.features import NormStats, batch_features, fit_stats, make_dataset
from apps.vitals.metrics import best_threshold, side_by_side
from apps.vitals.model import predict_risk
from apps.vitals.presets import TOPOLOGY, VitalsConfig, positive_weight
from apps.vitals.psv import Stay
from apps.vitals.simulate import SETTINGS
from suite.app import Trained, TrainRun
from suite.config import to_dict
from suite.errors import UserError

EXPORT_SEQUENCE_HOURS = 48   # the fixed length of the exported sequence model: the first two ICU days


def train(run: TrainRun) -> Trained:
    """Fit on ``--data`` (labelled PSV files) or the preset's simulated cohort; score held-out stays."""
    config: VitalsConfig = run.config
    stays, source = training_stays(config, run.data, run.verbose and sys.stderr.isatty())
    fitted = fit_model(config, stays, run)
    metrics = {**fitted.pop("metrics"), **heldout_metrics(fitted["model"], fitted["stats"], fitted["threshold"],
                                                         config.heldout_patients)}
    model_config = {"topology": TOPOLOGY, "model": config.model_kwargs(), "train": to_dict(config.train_config()),
                    "normalisation": fitted["stats"].to_record(), "alert_threshold": fitted["threshold"],
                    "sequence_length": EXPORT_SEQUENCE_HOURS}
    return Trained(fitted["model"], model_config, metrics, data=source)


def training_stays(config: VitalsConfig, folder: str | None, show_progress: bool) -> tuple[list[Stay], dict]:
    """The stays to fit on and where they came from (recorded in config.json "data")."""
    if folder:
        _, stays = data.read_stays([folder], require_labels=True)
        return stays, {"data": str(folder)}
    cache, stays = data.training_cohort(config.setting, config.train_patients, config.data_seed, show_progress)
    return stays, {"simulated": config.setting, "patients": config.train_patients, "seed": config.data_seed,
                   "cache": str(cache)}


def fit_model(config: VitalsConfig, stays: Sequence[Stay], run: TrainRun) -> dict[str, Any]:
    """Fit, then choose the alert threshold on the validation stays."""
    from suite import build_model
    from suite.keras import tf
    from suite.training import fit, seed_everything

    # Keras warns on every epoch that sample weights come without weighted metrics: intended here
    # (the weights only zero the padding and weigh positive hours; validation metrics are computed below).
    tf.get_logger().setLevel("ERROR")
    training, validation = split_stays(stays, config.validation_fraction, config.seed)
    stats = fit_stats(training)
    train_batch, validation_batch = batch_features(training, stats), batch_features(validation, stats)
    positives = int(train_batch.labels.sum())
    weight = positive_weight(config, positives, int(train_batch.lengths.sum()) - positives)
    train_config = config.train_config()
    seed_everything(train_config.seed)  # before the pipelines, so the shuffle order repeats
    train_data = make_dataset(train_batch, train_config.batch_size, shuffle=True, seed=config.seed,
                              positive_weight=weight)
    validation_data = make_dataset(validation_batch, train_config.batch_size, positive_weight=weight)
    model_kwargs = config.model_kwargs()
    started = time.time()
    model, history = fit(lambda: build_model(TOPOLOGY, **model_kwargs), train_data, validation_data, run.run_dir,
                         train_config, loss="binary_crossentropy", strategy=run.strategy,
                         verbose=2 if run.verbose else 0)
    train_seconds = time.time() - started
    validation_risks = predict_risk(model, stats, validation)
    threshold = best_threshold([stay.labels for stay in validation], validation_risks)
    metrics = {"train_seconds": round(train_seconds, 1), "epochs_run": len(history.get("epoch", [])),
               "positive_weight": round(weight, 3), "alert_threshold": round(threshold, 4),
               "training_stays": len(training), "validation": side_by_side(validation, validation_risks, threshold)}
    return {"model": model, "stats": stats, "threshold": threshold, "metrics": metrics}


def split_stays(stays: Sequence[Stay], fraction: float, seed: int) -> tuple[list[Stay], list[Stay]]:
    """A seeded split into (training, validation) stays."""
    order = np.random.default_rng(seed).permutation(len(stays))
    cut = max(1, int(round(len(stays) * fraction)))
    validation = [stays[i] for i in sorted(order[:cut])]
    training = [stays[i] for i in sorted(order[cut:])]
    if not any(stay.labels.any() for stay in validation) or not any(stay.labels.any() for stay in training):
        raise UserError(f"{len(stays)} stays: training and validation both need septic stays; use more stays")
    return training, validation


def heldout_metrics(model: Any, stats: NormStats, threshold: float, patients: int) -> dict:
    """Model and NEWS2 on simulated held-out stays of every setting (hospital_b is the "second hospital")."""
    if patients == 0:
        return {}
    results = {}
    for setting in SETTINGS:
        stays = data.heldout_cohort(setting, patients)
        results[setting] = side_by_side(stays, predict_risk(model, stats, stays), threshold)
    return {"heldout": results, "heldout_seed": data.HELDOUT_SEED}
