"""Forecasting a user's series with the step model, TensorFlow-free (export.runtime) unless --backend keras."""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from typing import Any, Iterator

import numpy as np

from apps.forecast import data
from apps.forecast.data import Scale, Series
from apps.forecast.evaluation import scale_for, vol_window, with_default_pad
from apps.forecast.metrics import HIGH, LOW, MEDIAN
from apps.forecast.model import quantiles_from, to_quantiles
from apps.forecast.tracking import IntervalTracker
from suite.errors import UserError


def check_horizon(horizon: int | None, config: dict[str, Any]) -> int:
    trained = int(config["horizon"])
    if horizon is None:
        return trained
    if not 1 <= horizon <= trained:
        raise UserError(f"--horizon {horizon}: this model forecasts 1 to {trained} steps")
    return horizon


def forecast_series(stepper: Any, series: Series, config: dict[str, Any], horizon: int) -> np.ndarray:
    """(horizon, 3) quantiles after the last value: the last ``context`` values stepped from a zero state,
    scaled as in training for a series the model was trained on, else by all of the file's values."""
    context = int(config["context"])
    scale = scale_for(series, config, fit_end=len(series))
    inputs = data.features(series.values, series.times, scale)[-context:]
    stepper.reset()
    for frame in inputs:
        output = stepper.step(frame[None, None])
    return to_quantiles(np.asarray(output).reshape(1, -1), series.values, [len(series) - 1], scale)[0, :horizon]


def forecast_record(series: Series, quantiles: np.ndarray) -> dict[str, Any]:
    times = series.future_times(len(quantiles))
    return {"series": series.name, "unit": series.unit, "horizon": len(quantiles), "last_time": str(series.times[-1]),
            "forecast": [{"time": str(t), "median": round(float(q[MEDIAN]), 6), "low_80": round(float(q[LOW]), 6),
                          "high_80": round(float(q[HIGH]), 6)} for t, q in zip(times, quantiles)]}


@dataclass(frozen=True)
class Update:
    """One streamed value: the one-step forecast made before it arrived, and the next one."""

    index: int
    time: np.datetime64
    value: float
    expected: np.ndarray | None     # (3,) quantiles forecast for this value, None during warm-up
    next_forecast: np.ndarray       # (horizon, 3) after this value

    @property
    def outside(self) -> bool | None:
        if self.expected is None:
            return None
        return bool(self.value < self.expected[LOW] or self.value > self.expected[HIGH])


class StreamingInputs:
    """The model's inputs, base forecast and volatility one value at a time, in O(1) time and O(longest base lag
    + vol_window) memory:
    the same numbers as ``data.features``, ``data.base_forecast`` and ``Scale.volatility_ratio`` over the whole
    series (tested). The local volatility is a running sum over the last ``vol_window`` seasonal changes."""

    def __init__(self, scale: Scale, horizon: int) -> None:
        self.scale = scale
        self.horizon = horizon
        self.recent: deque[float] = deque(maxlen=scale.memory)
        self.changes: deque[float] = deque(maxlen=max(scale.vol_window, 1))
        self.change_sum = 0.0

    def push(self, time: np.datetime64, value: float) -> np.ndarray:
        """(FEATURES,) inputs for ``value``; it then joins the recent values."""
        s, m = self.scale, self.scale.base_season
        previous = self.recent[-1] if self.recent else value
        seasonal = (value - self.recent[-m]) / s.delta_scale if len(self.recent) >= m else 0.0
        if len(self.recent) >= m:
            self._add_change(abs(value - self.recent[-m]))
        columns = np.clip([(value - s.mean) / s.value_scale, (value - previous) / s.delta_scale, seasonal],
                          -data.INPUT_CLIP, data.INPUT_CLIP)
        self.recent.append(value)
        return np.concatenate([np.asarray(columns, np.float32),
                               data.calendar_features(np.array([time], dtype="datetime64[s]"))[0]])

    def _add_change(self, change: float) -> None:
        if len(self.changes) == self.changes.maxlen:
            self.change_sum -= self.changes[0]
        self.changes.append(change)
        self.change_sum += change

    def ratio(self) -> np.ndarray:
        """(1,) the local volatility ratio after the last pushed value (Scale.volatility_ratio)."""
        s = self.scale
        if s.vol_window <= 0 or s.vol_ref <= 0 or not self.changes:    # not scaled, or before a whole season
            return np.ones(1)
        return np.array([max(self.change_sum / len(self.changes) / s.vol_ref, data.MIN_RATIO)])

    def base(self) -> np.ndarray:
        """(horizon,) base forecast after the last pushed value: the mean of seasonal naive over the base lags."""
        steps = np.arange(1, self.horizon + 1)
        forecasts = []
        for m in self.scale.base_lags:
            back = m * np.ceil(steps / m).astype(int) - steps    # how far before the last value each step repeats
            forecasts.append([self.recent[-1 - b] if b < len(self.recent) else self.recent[-1] for b in back])
        return np.mean(forecasts, axis=0)


WARMUP_SEASONS = 4


def default_warmup(config: dict[str, Any], all_series: list[Series]) -> int:
    """The context length, or four seasons when longer (the scaling needs whole seasons), within half the file."""
    wanted = max(int(config["context"]), WARMUP_SEASONS * max(series.season for series in all_series))
    return max(2, min(wanted, min(len(series) for series in all_series) // 2))


def monitor_scale(series: Series, config: dict[str, Any], warmup: int) -> Scale:
    """``monitor``'s scaling of a stream: fitted on its first ``warmup`` values, the model's default pads."""
    return with_default_pad(data.fit_scale(series.values[:warmup], min(int(config["horizon"]), warmup - 1),
                                           series.season, vol_window(config)), config)


def monitor_stream(stepper: Any, series: Series, scale: Scale, warmup: int, horizon: int,
                   tracker: IntervalTracker | None = None) -> Iterator[Update]:
    """Step the model once per value (O(1) each): after every value a new forecast; from ``warmup`` on,
    each value is checked against the 80% interval forecast one step before it. A ``tracker`` moves the
    bounds of the forecasts made from then on as their outcomes arrive (tracking.py)."""
    stepper.reset()
    inputs = StreamingInputs(scale, horizon)
    previous = None
    for index, (time, value) in enumerate(zip(series.times, series.values)):
        output = stepper.step(inputs.push(time, float(value))[None, None])
        ratio = inputs.ratio()
        current = quantiles_from(np.asarray(output).reshape(1, -1), inputs.base()[None], scale, ratio)[0]
        if tracker is not None and index >= warmup - 1:
            tracker.observe(float(value))
            current = tracker.adjust(current, scale.delta_scale * float(ratio[0]))
        expected = previous[0] if previous is not None and index >= warmup else None
        yield Update(index, time, float(value), expected, current)
        previous = current
