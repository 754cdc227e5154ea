"""Online interval tracking (apps/forecast/tracking.py): hand-computed updates, which forecast a value resolves,
the long-run miss rate on a stream whose intervals are too narrow or too wide, and monitor's --tracking-rate."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from apps.forecast.metrics import HIGH, LOW, MEDIAN
from apps.forecast.tracking import IntervalTracker


def interval(low: float, median: float, high: float, horizon: int = 1) -> np.ndarray:
    return np.tile([low, median, high], (horizon, 1)).astype(float)


def test_a_miss_widens_its_side_and_a_hit_narrows_both():
    tracker = IntervalTracker(horizon=1, rate=0.5)
    first = tracker.adjust(interval(-1, 0, 1), width=2.0)
    np.testing.assert_allclose(first, interval(-1, 0, 1))
    tracker.observe(3.0)                       # above the upper bound: high += 0.5 * 0.9, low -= 0.5 * 0.1
    np.testing.assert_allclose([tracker.low[0], tracker.high[0]], [-0.05, 0.45])
    second = tracker.adjust(interval(-1, 0, 1), width=2.0)
    np.testing.assert_allclose(second, interval(-1 + 0.1, 0, 1 + 0.9))
    tracker.observe(0.5)                       # inside: both narrow by 0.05
    np.testing.assert_allclose([tracker.low[0], tracker.high[0]], [-0.1, 0.4])


def test_bounds_never_cross_the_median_and_keep_the_floor():
    tracker = IntervalTracker(horizon=1, rate=1.0, floor=0.0)
    for _ in range(30):                        # always inside: both sides narrow by 0.1 each time
        tracker.adjust(interval(1, 2, 3), width=1.0)
        tracker.observe(2.0)
    np.testing.assert_allclose(tracker.adjust(interval(1, 2, 3), width=1.0), interval(2, 2, 2))
    tracker = IntervalTracker(horizon=1, rate=1.0, floor=0.0)
    for _ in range(5):                         # always below: the lower bound widens, then stops at the floor
        tracker.adjust(interval(1, 2, 3), width=1.0)
        tracker.observe(-10.0)
    assert tracker.adjust(interval(1, 2, 3), width=1.0)[0, LOW] == 0.0


def test_a_value_resolves_step_k_of_the_forecast_made_k_values_before():
    """Forecasts made at t=0, 1, 2 with three steps; only the t=0 forecast's step 3 misses the value at t=3."""
    tracker = IntervalTracker(horizon=3, rate=1.0)
    wide = interval(-10, 0, 10, horizon=3)
    narrow_third = wide.copy()
    narrow_third[2] = [-1, 0, 1]
    tracker.adjust(narrow_third, width=1.0)    # t=0: its step 3 targets t=3
    tracker.observe(0.0)
    tracker.adjust(wide, width=1.0)            # t=1
    tracker.observe(0.0)
    tracker.adjust(wide, width=1.0)            # t=2
    tracker.observe(5.0)                       # t=3 resolves t=2 step 1, t=1 step 2, t=0 step 3
    # step 1 was resolved three times (t=1, 2, 3), step 2 twice, step 3 once, all inside but step 3's miss
    np.testing.assert_allclose(tracker.high, [-0.3, -0.2, 0.9])
    np.testing.assert_allclose(tracker.low, [-0.3, -0.2, -0.1])


@pytest.mark.parametrize("true_spread", [0.5, 2.0])
def test_the_long_run_miss_rate_comes_to_twenty_percent(true_spread):
    """Intervals built for unit Gaussian noise (+-1.28) on noise twice as wide or half as wide: fixed ones miss
    52% or 1%; tracked ones miss close to 10% on each side."""
    rng = np.random.default_rng(0)
    values = rng.normal(0, true_spread, 6000)
    for rate, low_miss, high_miss in ((0.0, None, None), (0.3, 0.1, 0.1)):
        tracker = IntervalTracker(horizon=1, rate=rate)
        below = above = 0
        for value in values:
            bounds = tracker.adjust(interval(-1.2816, 0, 1.2816), width=1.0)[0]
            tracker.observe(value)
            below += value < bounds[LOW]
            above += value > bounds[HIGH]
        if rate:
            assert abs(below / len(values) - low_miss) < 0.01 and abs(above / len(values) - high_miss) < 0.01
        else:
            expected = 0.52 if true_spread > 1 else 0.01
            assert abs((below + above) / len(values) - expected) < 0.02


def test_a_negative_rate_is_rejected():
    with pytest.raises(ValueError, match="-0.1"):
        IntervalTracker(horizon=2, rate=-0.1)


def test_monitor_tracking_rate_option(tmp_path):
    """The shipped model monitoring a series it was not calibrated on: a noisy daily cycle whose fixed
    intervals miss far from 20%; tracking brings the share of flagged values to 0.2."""
    rng = np.random.default_rng(1)
    hours = 24 * 60
    t = np.arange(hours)
    values = 100 + 30 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 6, hours)
    times = np.datetime64("2024-03-01T00:00") + t * np.timedelta64(1, "h")
    csv = tmp_path / "load.csv"
    csv.write_text("time,load\n" + "".join(f"{s},{v:.3f}\n" for s, v in zip(times, values)))
    shares = {}
    for rate in ("0", "0.3"):
        done = subprocess.run([sys.executable, "-m", "apps.forecast", "monitor", str(csv), "--alerts-only",
                               "--tracking-rate", rate, "--json"], capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout.splitlines()[-1])
        shares[rate] = summary["outside_80"] / summary["checked"]
    assert abs(shares["0.3"] - 0.2) < 0.02
    assert abs(shares["0"] - 0.2) > 2 * abs(shares["0.3"] - 0.2)
    done = subprocess.run([sys.executable, "-m", "apps.forecast", "monitor", str(csv), "--tracking-rate", "-1"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--tracking-rate -1" in done.stderr
