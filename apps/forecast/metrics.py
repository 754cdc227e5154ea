"""Forecast accuracy: MASE, sMAPE, quantile (pinball) loss and 80% interval coverage.

Forecasts are quantiles: an array (..., horizon, 3) holding the 10%, 50% and 90% quantiles, so the
median is the point forecast and the outer two bound the 80% interval. TensorFlow-free.
"""
from __future__ import annotations

import numpy as np

QUANTILES = (0.1, 0.5, 0.9)
MEDIAN = 1                   # index of the 50% quantile: the point forecast
LOW, HIGH = 0, 2             # the 80% interval
INTERVAL = QUANTILES[HIGH] - QUANTILES[LOW]


def mase_scale(history: np.ndarray, season: int) -> float:
    """The in-sample mean absolute error of the seasonal-naive forecast (Hyndman and Koehler 2006);
    a season longer than the history falls back to the naive (one-step) error."""
    lag = season if 1 <= season < len(history) else 1
    errors = np.abs(history[lag:] - history[:-lag])
    return float(np.mean(errors)) if errors.size and np.mean(errors) > 0 else 1.0


def mase(actual: np.ndarray, point: np.ndarray, scale: float) -> float:
    return float(np.mean(np.abs(actual - point)) / scale)


def smape(actual: np.ndarray, point: np.ndarray) -> float:
    """Symmetric MAPE in percent (0-200); a step where both are zero counts as 0."""
    denominator = np.abs(actual) + np.abs(point)
    ratio = np.divide(2 * np.abs(actual - point), denominator, out=np.zeros_like(denominator, dtype=float),
                      where=denominator > 0)
    return float(100 * np.mean(ratio))


def pinball(actual: np.ndarray, forecast: np.ndarray, quantile: float) -> np.ndarray:
    """The quantile (pinball) loss of one quantile forecast, elementwise."""
    error = actual - forecast
    return np.maximum(quantile * error, (quantile - 1) * error)


def quantile_loss(actual: np.ndarray, quantiles: np.ndarray, scale: float) -> float:
    """Mean pinball loss over the three quantiles, divided by the MASE scale (so series compare);
    twice it approximates the CRPS from three quantiles."""
    losses = [pinball(actual, quantiles[..., i], q) for i, q in enumerate(QUANTILES)]
    return float(np.mean(losses) / scale)


def coverage(actual: np.ndarray, quantiles: np.ndarray) -> float:
    """Share of outcomes inside the 80% interval (inclusive)."""
    return float(np.mean((actual >= quantiles[..., LOW]) & (actual <= quantiles[..., HIGH])))


def score(actual: np.ndarray, quantiles: np.ndarray, scale: float) -> dict[str, float]:
    """Every metric for forecasts ``quantiles`` (..., horizon, 3) of ``actual`` (..., horizon)."""
    point = quantiles[..., MEDIAN]
    return {"mase": mase(actual, point, scale), "smape": smape(actual, point),
            "quantile_loss": quantile_loss(actual, quantiles, scale), "coverage_80": coverage(actual, quantiles)}
