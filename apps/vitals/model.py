"""A trained vitals model as the commands use it: hour-by-hour risk, NEWS2 and alerts for a stay.

Inference runs by default from the exported int8 step model (``step_int8.tflite``, or ``.onnx``) through
``export.runtime.StreamingRuntime`` with the numpy ``HourlyFeaturizer``: O(1) per hour, numpy and
ai-edge-litert/onnxruntime only, no TensorFlow. The exported sequence model (``model_int8``) is a fixed
48-hour window, so stays of any length are stepped through the step model. ``--backend keras`` runs the
Keras step model for comparison (needs TensorFlow). Training and export use ``VitalsModel`` (Keras).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, Sequence

import numpy as np

from apps.vitals.features import HourlyFeaturizer, NormStats, batch_features
from apps.vitals.news2 import news2_scores
from apps.vitals.psv import FEATURE_COLUMNS, Stay
from suite.app.models import ModelRef, check_app, resolve_model
from suite.app.paths import shipped_model_dir
from suite.errors import UserError

APP = "vitals"
STEP_FILE = "step_int8"     # the exported int8 step model inference runs by default
PREDICT_BATCH = 64          # stays per Keras forward pass; padded to the longest stay of the batch


@dataclass(frozen=True)
class ModelSettings:
    """What inference reads from config.json: the training normalisation and the alert threshold."""

    stats: NormStats
    threshold: float
    name: str                   # how titles name the model: its preset and folder

    @classmethod
    def of(cls, config: dict, where: Path) -> "ModelSettings":
        if "normalisation" not in config or "alert_threshold" not in config:
            raise UserError(f"{where}: no vitals config.json beside it (the normalisation and alert threshold "
                            "live there); pass the model directory")
        stats = NormStats.from_record(config["normalisation"], f"{where}/config.json")
        name = f"vitals {config.get('preset', '')} model ({where.name})".replace("  ", " ")
        return cls(stats=stats, threshold=float(config["alert_threshold"]), name=name)


class Stepper(Protocol):
    def reset(self) -> None: ...

    def step(self, features: np.ndarray) -> float: ...


class RuntimeStepper:
    """An exported step model through ``export.runtime.StreamingRuntime`` (what a device runs)."""

    def __init__(self, ref: ModelRef) -> None:
        from suite.quiet import native_quiet

        with native_quiet():  # LiteRT prints "INFO: Created TensorFlow Lite XNNPACK delegate" on creation
            self.runtime = ref.load_streaming_runtime()

    def reset(self) -> None:
        self.runtime.reset()

    def step(self, features: np.ndarray) -> float:
        return float(np.asarray(self.runtime.step(features)).reshape(-1)[0])


class KerasStepper:
    """The Keras step model behind a compiled ``tf.function``; the GRU state is kept here (comparison only)."""

    def __init__(self, model: Any) -> None:
        from suite.keras import tf
        from suite.streaming import compiled_step, initial_states, step_model

        step = step_model(model)
        self.run = compiled_step(step)
        self.zero_states = [tf.constant(state) for state in initial_states(step, 1)]
        self.reset()

    def reset(self) -> None:
        self.states = self.zero_states

    def step(self, features: np.ndarray) -> float:
        output, self.states = self.run(features.reshape(1, 1, -1), self.states)
        return float(np.asarray(output).reshape(-1)[0])


@dataclass
class HourlyRisk:
    """One stay scored hour by hour: risk, NEWS2 and the model's alert."""

    risk: np.ndarray        # float32, one per hour
    news2: np.ndarray       # int, one per hour
    alert: np.ndarray       # bool, risk >= the alert threshold


class StayMonitor:
    """Hour-by-hour risk and NEWS2 for one stay at a time, O(1) per hour."""

    def __init__(self, settings: ModelSettings, stepper: Stepper, backend: str) -> None:
        self.settings = settings
        self.threshold = settings.threshold
        self.featurizer = HourlyFeaturizer(settings.stats)
        self.stepper = stepper
        self.backend = backend
        self.reset()

    def reset(self) -> None:
        self.featurizer.reset()
        self.stepper.reset()
        self.last_charted = np.full(len(FEATURE_COLUMNS), np.nan)

    def update(self, row: np.ndarray) -> tuple[float, int, bool]:
        """(risk, NEWS2, alert) after one more hour of 40 PSV values."""
        risk = self.stepper.step(self.featurizer.step(row))
        self.last_charted = np.where(np.isnan(row), self.last_charted, row)
        news = int(news2_scores(self.last_charted[None, :])[0])
        return risk, news, risk >= self.threshold

    def score(self, stay: Stay) -> HourlyRisk:
        """Every hour of a whole stay, from a fresh state."""
        self.reset()
        hours = [self.update(row) for row in stay.values]
        risk, news, alert = zip(*hours) if hours else ((), (), ())
        return HourlyRisk(np.array(risk, np.float32), np.array(news, int), np.array(alert, bool))


def open_monitor(model: str | os.PathLike | None = None, backend: str | None = None) -> StayMonitor:
    """The ``--model`` (default: the shipped model) as a ``StayMonitor`` on ``--backend`` (default tflite)."""
    ref = resolve_model(APP, model if model is not None else shipped_model_dir(APP), STEP_FILE, backend)
    where = ref.model_dir or ref.path.parent
    settings = ModelSettings.of(ref.config, where)
    if ref.backend == "keras":
        return StayMonitor(settings, KerasStepper(VitalsModel.load(where).model), ref.backend)
    return StayMonitor(settings, RuntimeStepper(ref), ref.backend)


@dataclass
class VitalsModel:
    """The Keras sequence model with its settings (training, evaluation against the export)."""

    model: Any                  # keras.Model: (stays, hours, 108) -> (stays, hours, 1)
    config: dict
    stats: NormStats
    threshold: float            # risk at or above which an hour raises an alert

    @classmethod
    def load(cls, model_dir: str | os.PathLike) -> "VitalsModel":
        from suite.modeldir import load_model_dir

        model, config = load_model_dir(model_dir)
        check_app(config, APP, Path(model_dir))
        settings = ModelSettings.of(config, Path(model_dir))
        return cls(model=model, config=config, stats=settings.stats, threshold=settings.threshold)

    def predict(self, stays: Sequence[Stay]) -> list[np.ndarray]:
        """Hourly risk (float32, one value per row) for each stay."""
        return predict_risk(self.model, self.stats, stays)


def predict_risk(model: Any, stats: NormStats, stays: Sequence[Stay]) -> list[np.ndarray]:
    """Hourly risk per stay from the Keras sequence model; stays are sorted by length so each batch pads little."""
    order = np.argsort([stay.hours for stay in stays], kind="stable")
    risks: list[np.ndarray] = [np.empty(0)] * len(stays)
    for start in range(0, len(stays), PREDICT_BATCH):
        chosen = order[start:start + PREDICT_BATCH]
        batch = batch_features([stays[i] for i in chosen], stats)
        output = np.asarray(model(batch.inputs, training=False))[..., 0]
        for row, index in enumerate(chosen):
            risks[index] = output[row, :batch.lengths[row]].astype(np.float32)
    return risks
