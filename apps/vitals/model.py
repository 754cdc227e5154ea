"""A trained vitals model as the commands use it: the Keras GRU, its normalisation and its alert threshold."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from apps.vitals.features import NormStats, batch_features
from apps.vitals.psv import Stay

DEFAULT_MODEL_DIR = Path("saved_models/vitals")
PREDICT_BATCH = 64          # stays per forward pass; padded to the longest stay of the batch


@dataclass
class VitalsModel:
    model: Any                  # keras.Model: (stays, hours, 108) -> (stays, hours, 1)
    config: dict
    stats: NormStats
    threshold: float            # risk at or above which an hour raises an alert

    @classmethod
    def load(cls, model_dir: str | os.PathLike = DEFAULT_MODEL_DIR) -> "VitalsModel":
        from suite.errors import UserError
        from suite.modeldir import load_model_dir

        model, config = load_model_dir(model_dir)
        if config.get("app") != "vitals" or "normalisation" not in config:
            raise UserError(f"{model_dir}: not a vitals model directory (config.json app={config.get('app')!r})")
        stats = NormStats.from_record(config["normalisation"], f"{model_dir}/config.json")
        return cls(model=model, config=config, stats=stats, threshold=float(config["alert_threshold"]))

    def predict(self, stays: Sequence[Stay]) -> list[np.ndarray]:
        """Hourly risk (float32, one value per row) for each stay."""
        return predict_risk(self.model, self.stats, stays)


def predict_risk(model: Any, stats: NormStats, stays: Sequence[Stay]) -> list[np.ndarray]:
    """Hourly risk per stay; stays are sorted by length so each batch pads little."""
    order = np.argsort([stay.hours for stay in stays], kind="stable")
    risks: list[np.ndarray] = [np.empty(0)] * len(stays)
    for start in range(0, len(stays), PREDICT_BATCH):
        chosen = order[start:start + PREDICT_BATCH]
        batch = batch_features([stays[i] for i in chosen], stats)
        output = np.asarray(model(batch.inputs, training=False))[..., 0]
        for row, index in enumerate(chosen):
            risks[index] = output[row, :batch.lengths[row]].astype(np.float32)
    return risks
