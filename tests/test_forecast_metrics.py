"""Forecast metrics against hand-computed cases, and the baselines."""
from __future__ import annotations

import numpy as np
import pytest

from apps.forecast import baselines, metrics


def test_mase_scale_is_the_in_sample_seasonal_naive_error():
    history = np.array([1.0, 3.0, 2.0, 5.0, 4.0])
    assert metrics.mase_scale(history, 1) == pytest.approx((2 + 1 + 3 + 1) / 4)
    assert metrics.mase_scale(history, 2) == pytest.approx((1 + 2 + 2) / 3)
    assert metrics.mase_scale(history, 10) == pytest.approx(7 / 4)     # longer than the history: naive


def test_mase_and_smape_by_hand():
    actual, point = np.array([10.0, 20.0, 0.0]), np.array([12.0, 15.0, 0.0])
    assert metrics.mase(actual, point, scale=2.0) == pytest.approx((2 + 5 + 0) / 3 / 2)
    # 2|a-f|/(|a|+|f|): 4/22, 10/35 and 0 (both zero) -> mean in percent
    assert metrics.smape(actual, point) == pytest.approx(100 * (4 / 22 + 10 / 35 + 0) / 3)


def test_pinball_quantile_loss_and_coverage_by_hand():
    actual = np.array([[10.0, 10.0]])
    quantiles = np.array([[[8.0, 9.0, 12.0], [11.0, 12.0, 13.0]]])
    # step 1: q10 8 -> 0.1*2; q50 9 -> 0.5*1; q90 12 -> 0.1*2;  step 2: q10 11 -> 0.9*1; q50 12 -> 0.5*2; q90 13 -> 0.1*3
    expected = np.mean([0.2, 0.5, 0.2, 0.9, 1.0, 0.3])
    assert metrics.quantile_loss(actual, quantiles, scale=1.0) == pytest.approx(expected)
    assert metrics.coverage(actual, quantiles) == 0.5
    scores = metrics.score(actual, quantiles, scale=2.0)
    assert scores["mase"] == pytest.approx((1 + 2) / 2 / 2) and scores["quantile_loss"] == pytest.approx(expected / 2)


def test_seasonal_naive_repeats_the_last_season():
    history = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    assert baselines.seasonal_naive_point(history, 5, season=3).tolist() == [4.0, 5.0, 6.0, 4.0, 5.0]
    assert baselines.naive_point(history, 3).tolist() == [6.0, 6.0, 6.0]


def test_empirical_intervals_come_from_training_errors():
    train = np.arange(40.0)                        # a ramp: the naive error h steps ahead is exactly h
    naive = baselines.naive(train, horizon=3)
    assert naive.errors.tolist() == [[1.0, 1.0, 1.0], [2.0, 2.0, 2.0], [3.0, 3.0, 3.0]]
    assert naive.forecast(np.arange(50.0))[:, 1].tolist() == [50.0, 51.0, 52.0]


def test_seasonal_series_favours_seasonal_naive_and_ets():
    t = np.arange(24 * 30)
    values = 10 + 3 * np.sin(2 * np.pi * t / 24) + np.random.default_rng(0).normal(0, 0.1, len(t))
    train, horizon = values[:600], 12
    origins = np.arange(600, len(values) - horizon, 7)
    actual = np.stack([values[o + 1:o + 1 + horizon] for o in origins])
    scale = metrics.mase_scale(train, 24)
    scores = {}
    for name, method in (("naive", baselines.naive(train, horizon)),
                         ("seasonal_naive", baselines.seasonal_naive(train, horizon, 24)),
                         ("ets", baselines.ETSBaseline(train, horizon, 24))):
        forecasts = np.stack([method.forecast(values[:o + 1]) for o in origins])
        scores[name] = metrics.score(actual, forecasts, scale)
    assert scores["seasonal_naive"]["mase"] < 1.2 < 10 < scores["naive"]["mase"]
    assert scores["ets"]["mase"] < 1.0
    assert 0.6 <= scores["seasonal_naive"]["coverage_80"] <= 0.95


def test_ets_without_season_follows_a_trend():
    train = 2.0 * np.arange(200.0)
    ets = baselines.ETSBaseline(train, horizon=5, season=None)
    forecast = ets.forecast(2.0 * np.arange(220.0))[:, 1]
    assert forecast == pytest.approx(2.0 * np.arange(220, 225), abs=0.5)


def test_holt_winters_filter_and_forecast_match_statsmodels():
    from statsmodels.tsa.holtwinters import ExponentialSmoothing

    from apps.forecast import data

    series = data.load_bundled("elec_equip")
    train = series.values[:data.test_start(len(series), 24)]
    ets = baselines.ETSBaseline(train, horizon=24, season=12)
    fitted = ExponentialSmoothing(train, trend="add", damped_trend=True, seasonal="add", seasonal_periods=12,
                                  initialization_method="estimated").fit()
    assert fitted.params["smoothing_seasonal"] > 0.1          # the seasons move, so their indexing matters
    levels, trends, seasons = ets.filter(train)
    np.testing.assert_allclose(levels, fitted.level, atol=1e-8)
    np.testing.assert_allclose(trends, fitted.trend, atol=1e-8)
    np.testing.assert_allclose(seasons, fitted.season, atol=1e-8)
    ours, theirs = ets.point_forecasts(train)[len(train) - 1], np.asarray(fitted.forecast(24))
    other = [h - 1 for h in range(1, 25) if h % 12]
    np.testing.assert_allclose(ours[other], theirs[other], atol=1e-8)
    # At steps 12 and 24 we use the season updated at the origin (Hyndman and Athanasopoulos' formula);
    # statsmodels' forecast takes the one a cycle older there.
    np.testing.assert_allclose(ours[[11, 23]] - theirs[[11, 23]], seasons[-1] - seasons[-13], atol=1e-8)
