"""Forecast app data: CSV parsing errors (one line, exit 2), bundled series, scaling, windows, calendar."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from apps.forecast import data
from apps.forecast.series import future_times, read_csv
from suite.errors import UserError


def write(tmp_path, text, name="series.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def hourly(count, start="2024-01-01T00:00"):
    return np.datetime64(start, "s") + np.arange(count) * np.timedelta64(3600, "s")


def test_reads_every_value_column(tmp_path):
    path = write(tmp_path, "time,load,temp\n2024-01-01 00:00,1.5,3\n2024-01-01 01:00,2,4\n2024-01-01 02:00,2.5,5\n")
    load, temp = read_csv(path)
    assert (load.name, temp.name) == ("load", "temp")
    assert load.values.tolist() == [1.5, 2.0, 2.5] and temp.values.tolist() == [3.0, 4.0, 5.0]
    assert load.step == np.timedelta64(3600, "s") and load.season == 24


@pytest.mark.parametrize("text, message", [
    ("time,load\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 03:00,3\n",
     "gap: 1 missing step(s) between 2024-01-01T01:00:00 and 2024-01-01T03:00:00 (fill or interpolate them)"),
    ("time,load\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 01:30,3\n",
     "irregular timestamps: step 30 min at 2024-01-01T01:30:00, but 1 h before (resample to a regular step)"),
    ("time,load\n2024-01-01 00:00,1\n2024-01-01 01:00,\n2024-01-01 02:00,3\n",
     "line 3: column 'load' is empty or not finite (a gap; fill it)"),
    ("time,load\n2024-01-01 00:00,1\n2024-01-01 01:00,x\n2024-01-01 02:00,3\n",
     "line 3: column 'load': 'x' is not a number"),
    ("time,load\n2024-01-01 01:00,1\n2024-01-01 00:00,2\n2024-01-01 02:00,3\n",
     "line 3: time 2024-01-01T00:00:00 does not come after 2024-01-01T01:00:00"),
    ("time,load\nyesterday,1\n2024-01-01 01:00,2\n2024-01-01 02:00,3\n", "line 2: time 'yesterday' is not a date/time (expected e.g. 2024-01-31 or 2024-01-31 13:30)"),
    ("time\n2024-01-01 00:00\n2024-01-01 01:00\n2024-01-01 02:00\n", "no value column besides the time column 'time'"),
    ("", "empty file"),
])
def test_bad_csv_is_one_line(tmp_path, text, message):
    path = write(tmp_path, text)
    with pytest.raises(UserError) as error:
        read_csv(path)
    assert str(error.value) == f"{path}: {message}"


def test_missing_column_names_the_columns(tmp_path):
    path = write(tmp_path, "time,load\n2024-01-01 00:00,1\n2024-01-01 01:00,2\n2024-01-01 02:00,3\n")
    with pytest.raises(UserError, match=r"no column 'demand' \(columns: time, load\)"):
        read_csv(path, ["demand"])


def test_forecast_command_bad_csv_exits_2_with_one_line(tmp_path):
    path = write(tmp_path, "time,load\n" + "".join(f"2024-01-{d:02d},1\n" for d in (1, 2, 4)))
    done = subprocess.run([sys.executable, "-m", "apps.forecast", "forecast", str(path), "--backend", "onnx"],
                          capture_output=True, text=True)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: {path}: gap: 1 missing step(s) between 2024-01-02T00:00:00 and 2024-01-04T00:00:00 "
        "(fill or interpolate them)"]


def test_monthly_series_are_regular_and_continue_on_the_calendar(tmp_path):
    path = write(tmp_path, "date,sales\n2023-11-01,1\n2023-12-01,2\n2024-01-01,3\n2024-02-01,4\n")
    (series,) = read_csv(path)
    assert series.season == 12
    assert [str(t)[:10] for t in future_times(series.times, 3)] == ["2024-03-01", "2024-04-01", "2024-05-01"]


@pytest.mark.parametrize("name, length, season", [
    ("taylor", 4032, 336), ("greensboro_temperature", 8760, 24), ("greensboro_ghi", 8760, 24),
    ("co2", 2284, 52), ("elec_equip", 257, 12), ("sunspots", 309, 11)])
def test_bundled_series(name, length, season):
    series = data.load_bundled(name)
    assert (len(series), series.season) == (length, season)
    assert np.all(np.isfinite(series.values)) and np.all(np.diff(series.times) > np.timedelta64(0, "s"))


def test_bundled_data_does_not_import_the_libraries():
    code = ("import sys; from apps.forecast import data; data.load_all(); "
            "print(sorted(m for m in ('pandas', 'statsmodels', 'pvlib', 'pmdarima', 'bokeh_sampledata') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_cgm_is_on_a_five_minute_grid():
    series = data.load_bundled("cgm_glucose")
    assert series.step == np.timedelta64(300, "s") and np.all(np.diff(series.times) == np.timedelta64(300, "s"))
    assert 52281 <= len(series) and 40 <= series.values.min() and series.values.max() <= 400


def test_interpolate_gaps():
    assert data.interpolate_gaps(np.array([1.0, np.nan, np.nan, 4.0])).tolist() == [1.0, 2.0, 3.0, 4.0]


def test_scaling_offsets_and_features():
    values = np.array([0.0, 2.0, 4.0, 6.0, 8.0, 10.0])
    scale = data.fit_scale(values, horizon=2)
    # naive base on a ramp: the errors 2 and 4 steps... are 2 (h=1) and 4 (h=2): std 1
    assert (scale.mean, scale.delta_scale, scale.base_season) == (5.0, 1.0, 1)
    assert scale.value_scale == pytest.approx(np.std(values))
    scale = data.Scale(mean=5.0, value_scale=2.0, delta_scale=4.0)
    assert data.offsets(values, scale, 2).tolist() == [[0.5, 1.0], [0.5, 1.0], [0.5, 1.0], [0.5, 1.0]]
    inputs = data.features(values, hourly(6), scale)
    assert inputs.shape == (6, data.FEATURES) == (6, 9)
    assert inputs[:, 0].tolist() == [-2.5, -1.5, -0.5, 0.5, 1.5, 2.5] and inputs[:, 1].tolist() == [0, .5, .5, .5, .5, .5]


def test_base_forecast_is_seasonal_naive_where_it_beats_naive():
    t = np.arange(24 * 20)
    daily = np.sin(2 * np.pi * t / 24)
    scale = data.fit_scale(daily, horizon=6, season=24)
    # only the first season (before a whole one is seen) has base errors: far below naive's
    assert scale.base_season == 24 and scale.delta_scale < 0.2 * data.fit_scale(daily, 6, 1).delta_scale
    assert data.fit_scale(np.cumsum(np.ones(200)), horizon=6, season=24).base_season == 1
    values = np.arange(10.0)
    assert data.base_forecast(values, np.array([5]), 4, (3,)).tolist() == [[3.0, 4.0, 5.0, 3.0]]
    # step 1 would need the value before the start: naive there; step 2 is one season after index 0
    assert data.base_forecast(values, np.array([1]), 2, (3,)).tolist() == [[1.0, 0.0]]
    # the smoothed cycle: the mean of seasonal naive with periods 2, 3 and 4
    assert data.base_forecast(values, np.array([9]), 1, (2, 3, 4)).tolist() == [[(8 + 7 + 6) / 3]]


def test_fit_scale_smooths_a_drifting_cycle():
    # sunspot-like: cycles of 10 to 12 steps with random peaks and noise; the mean of the three repeats wins
    rng = np.random.default_rng(0)
    lengths = rng.choice([10, 11, 12], size=40)
    values = np.concatenate([rng.uniform(50, 150) * np.sin(np.linspace(0, np.pi, n, endpoint=False)) ** 2
                             for n in lengths]) + rng.normal(0, 5, lengths.sum())
    scale = data.fit_scale(values, horizon=6, season=11)
    assert scale.base_lags == (10, 11, 12) and scale.base_season == 11
    assert data.base_candidates(11, 100, 6) == [(1,), (11,), (10, 11, 12)]
    assert data.base_candidates(2, 100, 6) == [(1,), (2,)]
    # long enough for a week of daily seasons: the typical-day profile is a candidate too
    assert data.base_candidates(24, 500, 24)[-1] == (24, 48, 72, 96, 120, 144, 168)
    # a steady daily cycle under noise: the week's mean profile; a sharp daily peak on a wandering level: yesterday
    daily = np.sin(2 * np.pi * np.arange(24 * 20) / 24)
    noisy = daily + rng.normal(0, 0.3, daily.size)
    assert data.fit_scale(noisy, horizon=6, season=24).base_lags == (24, 48, 72, 96, 120, 144, 168)
    wandering = 10.0 * (np.arange(daily.size) % 24 == 12) + np.cumsum(rng.normal(0, 0.05, daily.size))
    assert data.fit_scale(wandering, horizon=6, season=24).base_lags == (24,)
    assert data.fit_scale(daily + 1, horizon=6, season=24).floor == 0.0     # never negative: forecasts neither
    # a trend: seasonal naive is one season behind, by +0.1 per season here; the bias corrects it
    trend = daily - 1 + np.arange(len(daily)) / 240
    trended = data.fit_scale(trend, horizon=6, season=24)
    assert trended.base_lags == (24,) and trended.floor is None
    np.testing.assert_allclose(np.asarray(trended.base_bias) * trended.delta_scale, 0.1, rtol=1e-3)


def test_scale_round_trips_through_config_json():
    scale = data.Scale(1.0, 2.0, 3.0, 11, interval_pad=(0.1, 0.2), base_lags=(10, 11, 12), base_bias=(0.5, 0.25),
                       blend=0.5, floor=0.0)
    assert data.Scale.from_dict(json.loads(json.dumps(scale.to_dict()))) == scale
    assert scale.memory == 12 and scale.pads(2).tolist() == [0.1, 0.2] and scale.bias(3).tolist() == [0.5, 0.25, 0.25]
    older = data.Scale.from_dict({"mean": 1.0, "value_scale": 2.0, "delta_scale": 3.0, "base_season": 24,
                                  "interval_pad": 0.5})
    assert (older.base_lags, older.blend, older.pads(3).tolist()) == ((24,), 1.0, [0.5, 0.5, 0.5])
    assert (older.bias(2).tolist(), older.floor) == ([0.0, 0.0], None)


def test_validation_origins_stop_before_the_held_out_part():
    length, horizon = 257, 24
    at = data.validation_origins(length, horizon, context=48, count=200)
    assert at[0] == data.validation_start(length, horizon) - 1 and at[-1] == data.test_start(length, horizon) - 2
    values = np.arange(float(length))
    actual = data.validation_actual(values, at, horizon)
    seen = np.isfinite(actual)
    assert np.nanmax(actual) == data.test_start(length, horizon) - 1       # never a held-out value
    assert seen[0].all() and seen[-1].tolist() == [True] + [False] * (horizon - 1)


def test_calendar_features():
    times = np.array(["2024-01-01T06:00", "2024-01-01T18:00", "2024-07-01T00:00"], dtype="datetime64[s]")
    calendar = data.calendar_features(times)
    assert calendar[0, :2] == pytest.approx([1.0, 0.0], abs=1e-6)     # 06:00 is a quarter of the day
    assert calendar[1, :2] == pytest.approx([-1.0, 0.0], abs=1e-6)
    monday, next_monday = data.calendar_features(np.array(["2024-01-01", "2024-01-08"], dtype="datetime64[s]"))
    assert monday[2:4] == pytest.approx(next_monday[2:4], abs=1e-6)
    assert calendar[2, 5] == pytest.approx(np.cos(2 * np.pi * 182 / 365.25), abs=1e-6)


def test_rolling_origins_are_in_the_held_out_part():
    at = data.origins(length=1000, horizon=24, context=96, count=40)
    assert len(at) == 40 and at[0] == data.test_start(1000, 24) - 1 == 799 and at[-1] == 1000 - 24 - 1
    assert data.origins(length=100, horizon=24, context=96, count=40).size == 0


def test_training_windows_stay_in_the_training_part():
    series = data.Series("s", hourly(500), np.arange(500.0), 24)
    scale = data.Scale(0.0, 1.0, 1.0)
    inputs, targets = data.training_windows(series, scale, 48, 12, 200, np.random.default_rng(0))
    assert inputs.shape == (200, 48, data.FEATURES) and targets.shape == (200, 48, 12)
    assert inputs[:, :, 0].max() + 12 <= data.test_start(500, 12) - 1
    assert np.all(targets == np.arange(1, 13))      # value t+h minus value t on a ramp


@pytest.mark.parametrize("season, lags", [(1, (1,)), (5, (5,)), (5, (4, 5, 6))])
def test_streaming_inputs_equal_the_batch_features(season, lags):
    from apps.forecast.inference import StreamingInputs

    values = np.random.default_rng(season).normal(10, 3, 40)
    times = hourly(40)
    scale = data.Scale(mean=10.0, value_scale=3.0, delta_scale=2.0, base_season=season, base_lags=lags,
                       vol_window=6, vol_ref=2.5)
    streaming = StreamingInputs(scale, horizon=7)
    pushed, bases, ratios = [], [], []
    for time, value in zip(times, values):
        pushed.append(streaming.push(time, value))
        bases.append(streaming.base())
        ratios.append(streaming.ratio()[0])
    np.testing.assert_allclose(np.stack(pushed), data.features(values, times, scale), atol=1e-6)
    np.testing.assert_allclose(np.stack(bases), data.base_forecast(values, np.arange(40), 7, lags), atol=1e-12)
    np.testing.assert_allclose(ratios, scale.volatility_ratio(values, np.arange(40)), atol=1e-12)


def test_local_volatility_by_hand():
    values = np.array([0.0, 1.0, 3.0, 2.0, 6.0, 6.0])
    # seasonal (season 2) changes |v[i] - v[i-2]|: -, -, 3, 1, 3, 4
    np.testing.assert_allclose(data.seasonal_changes(values, 2)[2:], [3.0, 1.0, 3.0, 4.0])
    # window 2 ending at each origin: none before index 2 (NaN), then 3, (3+1)/2, (1+3)/2, (3+4)/2
    volatility = data.volatility(values, np.arange(6), season=2, window=2)
    assert np.isnan(volatility[:2]).all()
    np.testing.assert_allclose(volatility[2:], [3.0, 2.0, 2.0, 3.5])
    scale = data.Scale(0.0, 1.0, 1.0, base_season=2, vol_window=2, vol_ref=2.0)
    # ratio to vol_ref 2; 1 where no season has passed yet
    np.testing.assert_allclose(scale.volatility_ratio(values, np.arange(6)), [1.0, 1.0, 1.5, 1.0, 1.0, 1.75])
    # a flat stretch keeps a tenth of the usual width; a model saved without a window is not scaled
    assert scale.volatility_ratio(np.zeros(6), [5])[0] == data.MIN_RATIO
    assert data.Scale(0.0, 1.0, 1.0, base_season=2).volatility_ratio(values, [5])[0] == 1.0
    # fit_scale: vol_ref is the mean change over the chosen base season in the training values (here naive, on
    # a trend of 0.5 a step: changes 1.5, 2.5, -0.5, -1.5 repeating, mean absolute 1.5)
    fitted = data.fit_scale(np.tile([0.0, 1.0, 3.0, 2.0], 30) + 0.5 * np.arange(120), 2, season=4, vol_window=8)
    assert fitted.base_season == 1 and fitted.vol_window == 8
    assert abs(fitted.vol_ref - 1.5) < 1e-12
