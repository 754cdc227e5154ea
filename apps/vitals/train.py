"""``train``: fit the hourly-risk GRU on PSV stays (simulated hospital_a stays unless ``--data``)."""
from __future__ import annotations

import argparse
import shlex
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from apps.vitals import cohorts
from apps.vitals.cli import app
from apps.vitals.features import NormStats, batch_features, fit_stats, make_dataset
from apps.vitals.inputs import read_stays
from apps.vitals.metrics import best_threshold, side_by_side
from apps.vitals.model import DEFAULT_MODEL_DIR, predict_risk
from apps.vitals.presets import DEFAULT_PRESET, PRESETS, TOPOLOGY, VitalsConfig, positive_weight
from apps.vitals.psv import Stay
from apps.vitals.simulate import SETTINGS
from suite.cli import add_config_options, add_strategy_option
from suite.config import resolve_config, to_dict
from suite.errors import UserError

EXPORT_SEQUENCE_HOURS = 48   # the fixed length of the exported sequence model: the first two ICU days


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_config_options(parser, PRESETS, DEFAULT_PRESET)
    parser.add_argument("--data", help="folder of labelled PSV files (default: simulate the preset's cohort, cached)")
    parser.add_argument("--out", default=str(DEFAULT_MODEL_DIR), help="model directory to write (atomically)")
    parser.add_argument("--heldout", type=int, default=cohorts.HELDOUT_PATIENTS,
                        help="simulated held-out stays per setting scored into metrics.json (0 skips)")
    add_strategy_option(parser)


@app.command("train", help="train the hourly risk GRU (research tool, not a medical device)", arguments=_arguments)
def train_command(args: argparse.Namespace) -> int:
    try:
        config = resolve_config(PRESETS, args.config, args.overrides)
    except ValueError as error:
        raise UserError(f"--set: {error}") from None
    if args.heldout < 0:
        raise UserError(f"--heldout: must be >= 0, got {args.heldout}")
    if args.data:
        _, stays = read_stays([args.data], require_labels=True)
        source = {"data": str(args.data)}
    else:
        folder, stays = cohorts.training_cohort(config.setting, config.train_patients, config.data_seed)
        source = {"simulated": config.setting, "patients": config.train_patients, "seed": config.data_seed,
                  "cache": str(folder)}
    command = "python -m apps.vitals " + " ".join(shlex.quote(a) for a in sys.argv[1:]) if sys.argv[0].endswith(
        "__main__.py") else None
    train_and_save(config, args.config, stays, args.out, source, args.strategy, args.heldout, command)
    print(f"saved {args.out}", file=sys.stderr)
    return 0


def split_stays(stays: Sequence[Stay], fraction: float, seed: int) -> tuple[list[Stay], list[Stay]]:
    """A seeded split into (training, validation) stays."""
    order = np.random.default_rng(seed).permutation(len(stays))
    cut = max(1, int(round(len(stays) * fraction)))
    validation = [stays[i] for i in sorted(order[:cut])]
    training = [stays[i] for i in sorted(order[cut:])]
    if not any(stay.labels.any() for stay in validation) or not any(stay.labels.any() for stay in training):
        raise UserError(f"{len(stays)} stays: training and validation both need septic stays; use more stays")
    return training, validation


def train_and_save(config: VitalsConfig, preset: str, stays: Sequence[Stay], out: str | Path, source: dict,
                   strategy: str = "default", heldout: int = 0, command: str | None = None) -> dict:
    """Fit, choose the alert threshold on validation stays, score held-out stays, save the model dir."""
    from suite import build_model
    from suite.keras import tf
    from suite.modeldir import save_model_dir
    from suite.training import CURVE_FILE, HISTORY_FILE, fit, seed_everything

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
    with tempfile.TemporaryDirectory(prefix="vitals-run-") as run_dir:
        model, history = fit(lambda: build_model(TOPOLOGY, **model_kwargs), train_data, validation_data, run_dir,
                             train_config, loss="binary_crossentropy", strategy=strategy)
        train_seconds = time.time() - started
        validation_risks = predict_risk(model, stats, validation)
        threshold = best_threshold([stay.labels for stay in validation], validation_risks)
        metrics = {
            "train_seconds": round(train_seconds, 1), "epochs_run": len(history.get("epoch", [])),
            "positive_weight": round(weight, 3), "alert_threshold": round(threshold, 4),
            "params": int(model.count_params()), "training_stays": len(training),
            "validation": side_by_side(validation, validation_risks, threshold),
            **heldout_metrics(model, stats, threshold, heldout),
        }
        if command:
            metrics["command"] = command
        model_config = {
            "app": "vitals", "task": "risk", "topology": TOPOLOGY, "model": model_kwargs, "preset": preset,
            "train": to_dict(train_config), "vitals": to_dict(config), "data": source,
            "normalisation": stats.to_record(), "alert_threshold": threshold,
            "sequence_length": EXPORT_SEQUENCE_HOURS,
        }
        run = Path(run_dir)
        save_model_dir(out, model, model_config, metrics,
                       extra_files={HISTORY_FILE: run / HISTORY_FILE, CURVE_FILE: run / CURVE_FILE})
    return metrics


def heldout_metrics(model, stats: NormStats, threshold: float, patients: int) -> dict:
    """Model and NEWS2 on simulated held-out stays of every setting (hospital_b is the "second hospital")."""
    if patients == 0:
        return {}
    results = {}
    for setting in SETTINGS:
        stays = cohorts.heldout_cohort(setting, patients)
        results[setting] = side_by_side(stays, predict_risk(model, stats, stays), threshold)
    return {"heldout": results, "heldout_seed": cohorts.HELDOUT_SEED}
