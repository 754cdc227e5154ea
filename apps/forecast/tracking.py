"""Online interval tracking for ``monitor``: the 80% interval's two bounds adapt as the stream's values arrive.

``monitor`` reads a file the model was not calibrated on: its scaling is fitted on the warm-up values and its
interval pads are the median of the training series' pads, so a nominal 80% interval flagged 5% of the
shipped CGM stream's values and 41% of taylor's. Quantile tracking (the P term of conformal PID control,
Angelopoulos, Candes and Tibshirani 2023) fixes the alert rate online: per horizon step and per side, an
outcome outside that bound of the forecast made for it widens the bound by ``rate x 0.9`` units of the local
error scale (delta_scale x the volatility ratio); one inside narrows it by ``rate x 0.1``. Each side then misses
close to 10% of the time over any long stretch, whatever the drift. TensorFlow-free, O(horizon) per value.
"""
from __future__ import annotations

from collections import deque

import numpy as np

from apps.forecast.metrics import HIGH, INTERVAL, LOW, MEDIAN

# Step size in local error-scale units, chosen on the bundled series' streams before their held-out ends
# (benchmarks/forecast_tracking.py --monitor: the smallest mean one-step quantile loss of 0-1, 13% under fixed).
TRACKING_RATE = 0.3
MISS_TARGET = (1.0 - INTERVAL) / 2     # each bound of an 80% interval is missed 10% of the time


class IntervalTracker:
    """Per horizon step, how far each bound has moved (error-scale units), and the last ``horizon`` forecasts
    still waiting for their outcomes. ``observe`` each value, then ``adjust`` the forecast made after it."""

    def __init__(self, horizon: int, rate: float = TRACKING_RATE, floor: float | None = None) -> None:
        if not rate >= 0:
            raise ValueError(f"tracking rate must be >= 0, got {rate!r}")
        self.rate = rate
        self.floor = floor
        self.low = np.zeros(horizon)      # how far below the forecast's own bound each step's lower bound sits
        self.high = np.zeros(horizon)
        self.pending: deque[np.ndarray] = deque(maxlen=horizon)    # newest first: pending[k] made k+1 values ago

    def observe(self, value: float) -> None:
        """``value`` resolves step k+1 of the forecast made k+1 values before it, for every k still pending."""
        if not self.rate or not self.pending:
            return
        steps = np.arange(len(self.pending))
        bounds = np.stack([forecast[k] for k, forecast in enumerate(self.pending)])
        self.low[steps] += self.rate * ((value < bounds[:, LOW]) - MISS_TARGET)
        self.high[steps] += self.rate * ((value > bounds[:, HIGH]) - MISS_TARGET)

    def adjust(self, quantiles: np.ndarray, width: float) -> np.ndarray:
        """(horizon, 3) ``quantiles`` with each bound moved by the tracked amount times ``width`` (value units of
        one error-scale unit at this origin), never past the median, at least the floor; kept to be checked
        against the values that follow."""
        adjusted = np.array(quantiles, float)
        adjusted[:, LOW] = np.minimum(adjusted[:, LOW] - width * self.low, adjusted[:, MEDIAN])
        adjusted[:, HIGH] = np.maximum(adjusted[:, HIGH] + width * self.high, adjusted[:, MEDIAN])
        if self.floor is not None:
            adjusted[:, LOW] = np.maximum(adjusted[:, LOW], self.floor)
        self.pending.appendleft(adjusted)
        return adjusted
