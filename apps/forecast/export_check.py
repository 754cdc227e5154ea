"""The int8 MASE gate: each exported file forecasts the bundled series' rolling origins like the float model."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.evaluation import DEFAULT_ORIGINS, scale_for
from apps.forecast.metrics import mase, mase_scale, MEDIAN
from apps.forecast.model import Forecaster, KerasForecaster, StepForecaster, to_quantiles
from suite.app.models import read_config_json, resolve_model


def mean_mase(forecaster: Forecaster, config: dict[str, Any], all_series: list[data.Series]) -> float:
    """Mean over series of the model's MASE on the rolling origins (no baselines)."""
    context, horizon = int(config["context"]), int(config["horizon"])
    values = []
    for series in all_series:
        at = data.origins(len(series), horizon, context, DEFAULT_ORIGINS)
        scale = scale_for(series, config)
        outputs = forecaster.last_outputs(data.context_inputs(series, scale, context, at))
        point = to_quantiles(outputs, series.values, at, scale)[..., MEDIAN]
        actual = np.stack([series.values[o + 1:o + 1 + horizon] for o in at])
        values.append(mase(actual, point, mase_scale(series.values[:data.test_start(len(series), horizon)],
                                                     series.season)))
    return float(np.mean(values))


def file_forecaster(model_dir: Path, name: str) -> Forecaster:
    ref = resolve_model("forecast", model_dir / name, Path(name).stem)
    if name.startswith("step_"):
        return StepForecaster(ref.load_streaming_runtime())
    from apps.forecast.model import RuntimeForecaster

    return RuntimeForecaster(ref)


def mase_gate(model_dir: Path, files: list[str], threshold: float) -> dict[str, dict[str, Any]]:
    config = read_config_json(model_dir) or {}
    all_series = data.series_from_config(config)
    float_mase = mean_mase(KerasForecaster.load(model_dir), config, all_series)
    gate = {}
    for name in files:
        export_mase = mean_mase(file_forecaster(model_dir, name), config, all_series)
        increase = (export_mase - float_mase) / max(float_mase, 1e-12)
        gate[name] = {"float_mase": round(float_mase, 5), "export_mase": round(export_mase, 5),
                      "increase": round(increase, 5), "threshold": threshold, "passed": bool(increase <= threshold)}
    return gate
