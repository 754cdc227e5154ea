"""The forecaster: a GRU over the history (value, change and calendar covariates per step) whose output at
every step is the 10/50/90% quantiles of the next ``horizon`` values (MQ-RNN style direct multi-horizon
head; DeepAR-style global model with per-series scaling). Built with the suite's ``many_to_many`` topology,
so the same weights run as a sequence model and as a one-step streaming model.

Inference here is TensorFlow-free: exported files run through ``export.runtime``; ``--backend keras``
imports TensorFlow only when asked.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from apps.forecast.data import FEATURES, Scale, base_forecast
from apps.forecast.metrics import HIGH, LOW, MEDIAN, QUANTILES
from suite.app.models import ModelRef

TOPOLOGY = "many_to_many"
SEQUENCE_FILE = "model_int8"
STEP_FILE = "step_int8"


def build_kwargs(cell: str, units: int, layers: int, horizon: int) -> dict[str, Any]:
    """``build_model("many_to_many", **kwargs)``: linear outputs, horizon x quantiles per step."""
    return {"cell": cell, "units": units, "layers": layers, "input_shape": [None, FEATURES],
            "output_size": horizon * len(QUANTILES), "output_activation": None}


def to_quantiles(outputs: np.ndarray, values: np.ndarray, at: np.ndarray, scale: Scale) -> np.ndarray:
    """(N, horizon, 3) forecasts in the series' units from the (N, horizon * 3) scaled offsets after each
    origin in ``at`` (indices into ``values``): the base forecast plus the offsets, sorted so the
    quantiles never cross; the interval scaled by the local volatility before each origin."""
    horizon = np.asarray(outputs).shape[-1] // len(QUANTILES)
    at = np.asarray(at)
    return quantiles_from(outputs, base_forecast(values, at, horizon, scale.base_lags), scale,
                          scale.volatility_ratio(values, at))


def quantiles_from(outputs: np.ndarray, base: np.ndarray, scale: Scale,
                   ratio: np.ndarray | None = None) -> np.ndarray:
    """(N, horizon, 3) from the outputs and the (N, horizon) base forecasts: base + delta_scale x (bias +
    blend x (offsets - bias)), the 80% interval widened by the series' per-step pads, its distances from the
    median multiplied by the (N,) local volatility ``ratio`` (Scale.volatility_ratio; None: 1), sorted, at
    least the floor."""
    offsets = np.sort(np.asarray(outputs, float).reshape(len(outputs), -1, len(QUANTILES)), axis=-1)
    horizon = offsets.shape[1]
    bias = scale.bias(horizon)[:, None]
    offsets = bias + scale.blend * (offsets - bias)
    pads = scale.pads(horizon)
    offsets[..., LOW] -= pads
    offsets[..., HIGH] += pads
    if ratio is not None:
        median = offsets[..., MEDIAN:MEDIAN + 1]
        offsets = median + np.asarray(ratio, float).reshape(-1, 1, 1) * (offsets - median)
    quantiles = np.asarray(base, float)[:, :, None] + scale.delta_scale * np.sort(offsets, axis=-1)
    return quantiles if scale.floor is None else np.maximum(quantiles, scale.floor)


class Forecaster(Protocol):
    def last_outputs(self, contexts: np.ndarray) -> np.ndarray:
        """(N, horizon * 3) outputs after the last step of each (N, context, FEATURES) window."""


class KerasForecaster:
    """The float Keras model (TensorFlow imported by whoever built or loaded ``model``)."""

    def __init__(self, model: Any) -> None:
        self.model = model

    @classmethod
    def load(cls, model_dir: Any) -> "KerasForecaster":
        from suite.modeldir import load_model_dir

        return cls(load_model_dir(model_dir)[0])

    def last_outputs(self, contexts: np.ndarray) -> np.ndarray:
        return np.asarray(self.model.predict(contexts.astype(np.float32), verbose=0, batch_size=256))[:, -1]

    def stepper(self) -> "KerasStepper":
        return KerasStepper(self.model)


class KerasStepper:
    """The Keras step model behind the same ``reset``/``step`` interface as ``export.runtime.StreamingRuntime``."""

    def __init__(self, model: Any) -> None:
        from suite.streaming import compiled_step, initial_states, step_model

        self.step_model = step_model(model)
        self.run = compiled_step(self.step_model)
        self.initial = initial_states(self.step_model)
        self.reset()

    def reset(self) -> None:
        self.states = list(self.initial)

    def step(self, frame: np.ndarray) -> np.ndarray:
        output, self.states = self.run(np.asarray(frame, np.float32).reshape(1, 1, -1), self.states)
        return np.asarray(output).reshape(1, -1)


class RuntimeForecaster:
    """An exported sequence model (int8 TFLite or ONNX) through export.runtime: numpy only."""

    def __init__(self, ref: ModelRef) -> None:
        self.runtime = ref.load_runtime()

    def last_outputs(self, contexts: np.ndarray) -> np.ndarray:
        return np.asarray(self.runtime.run(contexts.astype(np.float32))[0])[:, -1]


class StepForecaster:
    """Any forecaster built from a step runtime: steps each window through the step model."""

    def __init__(self, stepper: Any) -> None:
        self.stepper = stepper

    def last_outputs(self, contexts: np.ndarray) -> np.ndarray:
        rows = []
        for window in contexts:
            self.stepper.reset()
            for frame in window:
                output = self.stepper.step(frame[None, None])
            rows.append(np.asarray(output).reshape(-1))
        return np.stack(rows)


def step_runtime(ref: ModelRef) -> Any:
    """The step model to stream with: the exported file's runtime, or the Keras step model."""
    if ref.backend == "keras":
        return KerasForecaster.load(ref.model_dir).stepper()
    return ref.load_streaming_runtime()


def sequence_forecaster(ref: ModelRef) -> Forecaster:
    return KerasForecaster.load(ref.model_dir) if ref.backend == "keras" else RuntimeForecaster(ref)
