"""The int8 MASE gate: on every series the model was trained on, each exported file's forecasts (as the app
makes them: base, blend and pads) have a MASE at most 2% above the float model's, on the rolling origins."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from apps.forecast import data
from apps.forecast.evaluation import DEFAULT_ORIGINS, scale_for
from apps.forecast.metrics import mase, mase_scale, MEDIAN
from apps.forecast.model import Forecaster, KerasForecaster, StepForecaster, to_quantiles
from suite.app.models import read_config_json, resolve_model


def series_mase(forecaster: Forecaster, config: dict[str, Any], all_series: list[data.Series]) -> dict[str, float]:
    """Per series, the model's MASE on the rolling origins (no baselines)."""
    context, horizon = int(config["context"]), int(config["horizon"])
    values = {}
    for series in all_series:
        at = data.origins(len(series), horizon, context, DEFAULT_ORIGINS)
        scale = scale_for(series, config)
        outputs = forecaster.last_outputs(data.context_inputs(series, scale, context, at))
        point = to_quantiles(outputs, series.values, at, scale)[..., MEDIAN]
        actual = np.stack([series.values[o + 1:o + 1 + horizon] for o in at])
        values[series.name] = mase(actual, point, mase_scale(series.values[:data.test_start(len(series), horizon)],
                                                             series.season))
    return values


def relative_increase(export: float, reference: float) -> float:
    return (export - reference) / max(reference, 1e-12)


def file_forecaster(model_dir: Path, name: str) -> Forecaster:
    ref = resolve_model("forecast", model_dir / name, Path(name).stem)
    if name.startswith("step_"):
        return StepForecaster(ref.load_streaming_runtime())
    from apps.forecast.model import RuntimeForecaster

    return RuntimeForecaster(ref)


def mase_gate(model_dir: Path, files: list[str], threshold: float) -> dict[str, dict[str, Any]]:
    """Per file: the mean MASE over series against the float model's, and every series' own increase; the
    file passes when no series' MASE rises more than ``threshold``."""
    config = read_config_json(model_dir) or {}
    all_series = data.series_from_config(config)
    reference = series_mase(KerasForecaster.load(model_dir), config, all_series)
    float_mase = float(np.mean(list(reference.values())))
    gate = {}
    for name in files:
        exported = series_mase(file_forecaster(model_dir, name), config, all_series)
        export_mase = float(np.mean(list(exported.values())))
        per_series = {s: round(relative_increase(exported[s], reference[s]), 5) for s in reference}
        worst = max(per_series, key=per_series.get)
        gate[name] = {"float_mase": round(float_mase, 5), "export_mase": round(export_mase, 5),
                      "increase": round(relative_increase(export_mase, float_mase), 5),
                      "series_increase": per_series, "worst_series": worst, "threshold": threshold,
                      "passed": bool(per_series[worst] <= threshold)}
    return gate
