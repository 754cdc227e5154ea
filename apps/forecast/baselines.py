"""Baselines on the same rolling origins as the model: naive, seasonal naive and ETS (statsmodels).

The naive forecasts' 80% intervals come from the empirical quantiles of their own h-step errors in
the training part; ETS gives Gaussian intervals. statsmodels is imported only when ETS runs.
"""
from __future__ import annotations

import warnings

import numpy as np

from apps.forecast.metrics import QUANTILES

# ETS is fitted once per series on the end of its training part (this many values), then refiltered with
# the fitted parameters over the last STAT_WINDOW values before every origin: refitting at each of 40
# origins would cost minutes per series on two cores.
STAT_FIT_POINTS = 1500
STAT_WINDOW = 600


def naive_point(history: np.ndarray, horizon: int) -> np.ndarray:
    return np.full(horizon, history[-1], float)


def seasonal_naive_point(history: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """Each step repeats the value one (or more) whole seasons before it."""
    if season <= 1 or season > len(history):
        return naive_point(history, horizon)
    steps = np.arange(1, horizon + 1)
    back = season * np.ceil(steps / season).astype(int)
    return history[len(history) - 1 + steps - back]


def error_quantiles(train: np.ndarray, horizon: int, point_fn) -> np.ndarray:
    """(horizon, 3) empirical quantiles of ``point_fn``'s errors over origins in ``train``."""
    first = max(len(train) // 2, 1)
    starts = range(first, len(train) - horizon)
    errors = np.array([train[o + 1:o + 1 + horizon] - point_fn(train[:o + 1], horizon) for o in starts])
    if errors.size == 0:
        return np.zeros((horizon, len(QUANTILES)))
    return np.quantile(errors, QUANTILES, axis=0).T


class EmpiricalBaseline:
    """A point forecast plus the quantiles of its training-part errors."""

    def __init__(self, train: np.ndarray, horizon: int, point_fn) -> None:
        self.point_fn = point_fn
        self.horizon = horizon
        self.errors = error_quantiles(train, horizon, point_fn)

    def forecast(self, history: np.ndarray) -> np.ndarray:
        return self.point_fn(history, self.horizon)[:, None] + self.errors


def naive(train: np.ndarray, horizon: int) -> EmpiricalBaseline:
    return EmpiricalBaseline(train, horizon, naive_point)


def seasonal_naive(train: np.ndarray, horizon: int, season: int) -> EmpiricalBaseline:
    return EmpiricalBaseline(train, horizon, lambda history, h: seasonal_naive_point(history, h, season))


class ETSBaseline:
    """Additive damped-trend Holt-Winters (statsmodels' ExponentialSmoothing, fitted once on the training
    part), run forward over the whole series with the fitted parameters so every origin forecasts from its
    own filtered level, trend and season; 80% intervals from its training-part h-step errors."""

    def __init__(self, train: np.ndarray, horizon: int, season: int | None) -> None:
        from statsmodels.tsa.holtwinters import ExponentialSmoothing

        self.horizon = horizon
        self.season = season if season and season > 1 else 0
        self.fit_start = max(0, len(train) - STAT_FIT_POINTS)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = ExponentialSmoothing(train[self.fit_start:], trend="add", damped_trend=True,
                                         seasonal="add" if self.season else None,
                                         seasonal_periods=self.season or None, initialization_method="estimated")
            self.params = dict(model.fit().params)
        self.damping = float(self.params["damping_trend"])
        self.train = train
        self.errors = error_quantiles_from(self.point_forecasts(train), train, horizon)

    def filter(self, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Level, trend and seasonal state after each value of ``values[fit_start:]``."""
        p, m, phi = self.params, self.season, self.damping
        alpha, beta = float(p["smoothing_level"]), float(p["smoothing_trend"])
        gamma = float(p["smoothing_seasonal"]) if m else 0.0
        level, trend = float(p["initial_level"]), float(p["initial_trend"])
        seasons = list(np.asarray(p["initial_seasons"], float)) if m else [0.0]
        sample = values[self.fit_start:]
        levels, trends, seasonal = (np.empty(len(sample)) for _ in range(3))
        for t, y in enumerate(sample):
            old_season = seasons[t] if m else 0.0
            previous_level = level
            level = alpha * (y - old_season) + (1 - alpha) * (previous_level + phi * trend)
            if m:
                seasons.append(gamma * (y - previous_level - phi * trend) + (1 - gamma) * old_season)
            trend = beta * (level - previous_level) + (1 - beta) * phi * trend
            levels[t], trends[t], seasonal[t] = level, trend, seasons[-1] if m else 0.0
        return levels, trends, np.asarray(seasons[len(seasons) - len(sample):]) if m else seasonal

    def point_forecasts(self, values: np.ndarray) -> dict[int, np.ndarray]:
        """The h-step point forecast from every origin (an index into ``values``) after the fit start."""
        levels, trends, seasons = self.filter(values)
        steps = np.arange(1, self.horizon + 1)
        damp = np.cumsum(self.damping ** steps)
        forecasts = levels[:, None] + trends[:, None] * damp[None, :]
        if self.season:
            m = self.season
            back = m * np.ceil(steps / m).astype(int)
            index = np.arange(len(levels))[:, None] + steps[None, :] - back[None, :]
            forecasts = forecasts + np.where(index >= 0, seasons[np.maximum(index, 0)], 0.0)
        return {self.fit_start + i: row for i, row in enumerate(forecasts)}

    def forecast(self, history: np.ndarray) -> np.ndarray:
        point = self.point_forecasts(history)[len(history) - 1]
        return point[:, None] + self.errors


def error_quantiles_from(forecasts: dict[int, np.ndarray], train: np.ndarray, horizon: int) -> np.ndarray:
    """(horizon, 3) quantiles of the errors of precomputed forecasts over the second half of ``train``."""
    starts = [o for o in range(len(train) // 2, len(train) - horizon) if o in forecasts]
    errors = np.array([train[o + 1:o + 1 + horizon] - forecasts[o] for o in starts])
    if errors.size == 0:
        return np.zeros((horizon, len(QUANTILES)))
    return np.quantile(errors, QUANTILES, axis=0).T
