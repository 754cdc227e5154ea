"""Rolling-origin evaluation: the model and every baseline forecast the same held-out windows.

For each series the last ``TEST_FRACTION`` is held out; up to ``origins`` evenly spaced forecast origins
there each forecast the next ``horizon`` values. Baselines are fitted on the training part only.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from apps.forecast import baselines, data
from apps.forecast.data import Scale, Series
from apps.forecast.metrics import mase_scale, score
from apps.forecast.model import Forecaster, to_quantiles

DEFAULT_ORIGINS = 40   # forecast origins per series: enough for stable means, quick on two cores
METHODS = ("model", "naive", "seasonal_naive", "statistical")


@dataclass
class SeriesForecasts:
    """Everything one series' evaluation produced (kept for the fan chart)."""

    series: Series
    origins: np.ndarray
    actual: np.ndarray                      # (origins, horizon)
    forecasts: dict[str, np.ndarray]        # method -> (origins, horizon, 3)
    scores: dict[str, dict[str, float]]     # method -> metrics


def scale_for(series: Series, config: dict[str, Any], fit_end: int | None = None) -> Scale:
    """The saved scaling of a series the model was trained on (same name and source), else one fitted on the
    series' values before ``fit_end`` (default: its training part) with the median interval pad."""
    saved = config.get("series", {}).get(series.name)
    if saved and saved.get("source") == series.source:
        return Scale.from_dict(saved)
    horizon = int(config["horizon"])
    end = data.test_start(len(series), horizon) if fit_end is None else fit_end
    return with_default_pad(data.fit_scale(series.values[:end], horizon, series.season,
                                           vol_window=vol_window(config)), config)


def vol_window(config: dict[str, Any]) -> int:
    """The local-volatility window the model's series were calibrated with (0: a model saved without it)."""
    saved = [entry.get("vol_window", 0) for entry in config.get("series", {}).values()]
    return int(max(saved, default=0))


def with_default_pad(scale: Scale, config: dict[str, Any]) -> Scale:
    """A series the model was not calibrated on gets the median blend of the series it was and, per horizon
    step, their median pad."""
    horizon = int(config["horizon"])
    saved = [Scale.from_dict(entry) for entry in config.get("series", {}).values() if "mean" in entry]
    if not saved:
        return replace(scale, interval_pad=(0.0,))
    return replace(scale, blend=float(np.median([s.blend for s in saved])),
                   interval_pad=tuple(np.median([s.pads(horizon) for s in saved], axis=0)))


def model_forecasts(forecaster: Forecaster, series: Series, scale: Scale, context: int,
                    at: np.ndarray) -> np.ndarray:
    inputs = data.context_inputs(series, scale, context, at)
    return to_quantiles(forecaster.last_outputs(inputs), series.values, at, scale)


def baseline_forecasts(series: Series, horizon: int, at: np.ndarray,
                       statistical: bool = True) -> dict[str, np.ndarray]:
    train = series.values[:data.test_start(len(series), horizon)]
    methods: dict[str, Any] = {"naive": baselines.naive(train, horizon),
                               "seasonal_naive": baselines.seasonal_naive(train, horizon, series.season)}
    forecasts = {name: np.stack([method.forecast(series.values[:o + 1]) for o in at])
                 for name, method in methods.items()}
    if statistical:
        ets = baselines.ETSBaseline(train, horizon, data.ets_season(series))
        points = ets.point_forecasts(series.values)
        forecasts["statistical"] = np.stack([points[o][:, None] + ets.errors for o in at])
    return forecasts


def evaluate_series(forecaster: Forecaster, series: Series, config: dict[str, Any],
                    origins: int = DEFAULT_ORIGINS, statistical: bool = True) -> SeriesForecasts:
    context, horizon = int(config["context"]), int(config["horizon"])
    at = data.origins(len(series), horizon, context, origins)
    if at.size == 0:
        from suite.errors import UserError

        raise UserError(f"{series.source or series.name}: {series.name}: {len(series)} values are too few for "
                        f"a {context}-step context and a {horizon}-step horizon on the held-out end")
    scale = scale_for(series, config)
    actual = np.stack([series.values[o + 1:o + 1 + horizon] for o in at])
    forecasts = {"model": model_forecasts(forecaster, series, scale, context, at),
                 **baseline_forecasts(series, horizon, at, statistical)}
    mscale = mase_scale(series.values[:data.test_start(len(series), horizon)], series.season)
    scores = {name: score(actual, value, mscale) for name, value in forecasts.items()}
    return SeriesForecasts(series, at, actual, forecasts, scores)


def summary(results: list[SeriesForecasts]) -> dict[str, Any]:
    """How many series the model beats each baseline on, and the mean coverage."""
    wins = {name: sum(r.scores["model"]["mase"] < r.scores[name]["mase"] for r in results)
            for name in METHODS[1:] if all(name in r.scores for r in results)}
    return {"series": len(results), "model_beats": wins,
            "mean_coverage_80": float(np.mean([r.scores["model"]["coverage_80"] for r in results]))}


def rounded(scores: dict[str, float]) -> dict[str, float]:
    return {key: round(value, 4) for key, value in scores.items()}


def record(result: SeriesForecasts) -> dict[str, Any]:
    """The per-series JSON object of ``evaluate --json``."""
    return {"series": result.series.name, "origins": int(len(result.origins)),
            "horizon": int(result.actual.shape[1]),
            **{name: rounded(value) for name, value in result.scores.items()}}
