"""Validation-part calibration: the blend of model and base forecast, and the per-step conformal pads."""
from __future__ import annotations

import numpy as np

from apps.forecast.data import Scale
from apps.forecast.metrics import HIGH, LOW, coverage
from apps.forecast.model import quantiles_from
from apps.forecast.training import conformal_pads, recalibrate

HORIZON = 6


def outputs_from(offsets: np.ndarray, spread: float) -> np.ndarray:
    """(N, horizon * 3) model outputs: 10/50/90% offsets = median -+ spread."""
    return np.stack([offsets - spread, offsets, offsets + spread], axis=-1).reshape(len(offsets), -1)


def test_conformal_pads_by_hand():
    # 10 scores per step, 0..9: the ceil(11 x 0.8) / 10 = 0.9 quantile of 0..9 is 8.1
    scores = np.tile(np.arange(10.0)[:, None], (1, 2))
    np.testing.assert_allclose(conformal_pads(scores, min_scores=10), [8.1, 8.1])
    # too few scores at a step: its neighbours are pooled (step 0: the 2 x 10 of steps 0 and 1)
    scores[:, 1] += 10
    pads = conformal_pads(scores, min_scores=20)
    assert pads[0] == np.quantile(np.concatenate([np.arange(10.0), np.arange(10.0, 20)]), 17 / 20)
    # unobserved (NaN) scores do not count
    scores[5:, 0] = np.nan
    assert conformal_pads(scores, min_scores=5)[0] == np.quantile(np.arange(5.0), 1.0)


def test_recalibrate_drops_a_model_that_only_adds_noise_and_keeps_one_that_helps():
    rng = np.random.default_rng(0)
    n = 400
    base = np.zeros((n, HORIZON))
    signal = rng.normal(0, 1, (n, HORIZON))
    actual = signal + rng.normal(0, 0.3, (n, HORIZON))
    scale = Scale(0.0, 1.0, 1.0)
    helpful = recalibrate(outputs_from(signal, 0.1), base, actual, scale)
    assert helpful.blend == 1.0
    noise = recalibrate(outputs_from(rng.normal(0, 2, (n, HORIZON)), 0.1), base, actual, scale)
    assert noise.blend == 0.0


def test_recalibrated_intervals_cover_80_percent_of_new_outcomes_per_step():
    rng = np.random.default_rng(1)
    n = 2000
    widths = np.linspace(1, 3, HORIZON)           # the error grows with the step; the model's intervals don't
    def draw():
        return rng.normal(0, 1, (n, HORIZON)) * widths
    scale = Scale(0.0, 1.0, 1.0)
    outputs = outputs_from(np.zeros((n, HORIZON)), 0.5)
    calibrated = recalibrate(outputs, np.zeros((n, HORIZON)), draw(), scale)
    assert calibrated.blend in (0.0, 0.25, 0.5, 0.75, 1.0) and len(calibrated.interval_pad) == HORIZON
    assert np.all(np.diff(calibrated.pads(HORIZON)) > 0)
    fresh = draw()
    quantiles = quantiles_from(outputs, np.zeros((n, HORIZON)), calibrated)
    before = quantiles_from(outputs, np.zeros((n, HORIZON)), scale)
    for step in range(HORIZON):
        assert 0.77 <= coverage(fresh[:, step], quantiles[:, step]) <= 0.83
    assert coverage(fresh, before) < 0.4
    assert np.all(quantiles[..., LOW] <= quantiles[..., HIGH])


def test_blend_shrinks_towards_the_bias_corrected_base_and_the_floor_holds():
    base = np.full((1, 2), 10.0)
    outputs = outputs_from(np.array([[4.0, -8.0]]), 1.0)
    scale = Scale(0.0, 1.0, 2.0, base_bias=(1.0, -1.0), blend=0.5, interval_pad=(0.5,))
    quantiles = quantiles_from(outputs, base, scale)
    # median offsets: bias + 0.5 (offset - bias) = 2.5 and -4.5, times delta_scale 2
    np.testing.assert_allclose(quantiles[0, :, 1], [15.0, 1.0])
    np.testing.assert_allclose(quantiles[0, :, 2] - quantiles[0, :, 1], [2.0, 2.0])   # (0.5 x 1 + 0.5) x 2
    floored = quantiles_from(outputs, base, Scale(0.0, 1.0, 2.0, base_bias=(1.0, -1.0), blend=0.5, floor=3.0))
    assert floored[0, 1].tolist() == [3.0, 3.0, 3.0] and floored[0, 0, 1] == 15.0


def test_a_blend_must_beat_the_base_beyond_noise():
    from apps.forecast.training import choose_blend, independent_origins

    rng = np.random.default_rng(2)
    scale = Scale(0.0, 1.0, 1.0)
    def case(n):
        actual = rng.normal(0, 1, (n, HORIZON))
        hint = actual + rng.normal(0, 2, (n, HORIZON))       # a weak signal: best weighed 1/(1 + 4)
        return outputs_from(hint, 0.1), np.zeros((n, HORIZON)), actual
    # 10 horizons' worth of values: the weak model's gain is within the noise, the base is kept
    assert choose_blend(*case(10), scale, independent=10) == 0.0
    # 20,000 horizons: the same weak model, a quarter blended in, clearly helps
    assert choose_blend(*case(20_000), scale, independent=20_000) == 0.25
    # overlapping origins are worth fewer independent forecasts: the same gain is no longer enough
    assert choose_blend(*case(20_000), scale, independent=3) == 0.0
    assert independent_origins(np.arange(100, 131), 24) == 1.25 and independent_origins(np.arange(0, 4000, 40), 24) == 100


def test_quantiles_scale_their_interval_around_the_median_with_the_volatility_ratio():
    base = np.zeros((2, 1))
    outputs = outputs_from(np.array([[1.0], [1.0]]), 1.0)          # offsets 0, 1, 2
    scale = Scale(0.0, 1.0, 2.0, blend=1.0, interval_pad=(0.5,))
    quantiles = quantiles_from(outputs, base, scale, np.array([1.0, 3.0]))
    # median 1 x 2 = 2; half-width (1 + 0.5) x 2 = 3, times the ratio
    np.testing.assert_allclose(quantiles[:, 0], [[-1.0, 2.0, 5.0], [-7.0, 2.0, 11.0]])


def test_volatility_scaled_pads_cover_heteroscedastic_outcomes_better_than_unscaled_pads():
    """A random walk whose step size doubles in the later part: calibrated on the calm part, the unscaled pads
    under-cover the volatile part; normalised by the local volatility (Lei et al. 2018) they cover about 80%."""
    from apps.forecast import data

    rng = np.random.default_rng(3)
    n, calm = 6000, 3000
    sigma = np.where(np.arange(n) < calm, 1.0, 2.0)
    values = np.cumsum(rng.normal(0, 1, n) * sigma)
    scale = data.Scale(0.0, 1.0, 1.0, base_season=1, base_lags=(1,), blend=0.0, vol_window=48,
                       vol_ref=float(np.nanmean(data.seasonal_changes(values[:calm], 1))))
    horizon = HORIZON
    def origins_between(start, end):
        return np.arange(start, end - horizon, 3)
    def split(at):
        base = data.base_forecast(values, at, horizon, (1,))
        actual = values[at[:, None] + np.arange(1, horizon + 1)]
        return np.zeros((len(at), horizon * 3)), base, actual
    calibration, test = origins_between(100, calm), origins_between(calm + 100, n)
    outputs, base, actual = split(calibration)
    unscaled = recalibrate(outputs, base, actual, scale)
    scaled = recalibrate(outputs, base, actual, scale, ratio=scale.volatility_ratio(values, calibration))
    outputs, base, actual = split(test)
    plain = coverage(actual, quantiles_from(outputs, base, unscaled))
    adaptive = coverage(actual, quantiles_from(outputs, base, scaled, scale.volatility_ratio(values, test)))
    assert plain < 0.6 and 0.75 <= adaptive <= 0.85
