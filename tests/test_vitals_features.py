"""Per-hour model inputs: forward fill, masks, hours since, saved normalisation, padding, tf.data."""
import numpy as np
import pytest

from apps.vitals.features import (MAX_HOURS_SINCE, NUM_FEATURES, HourlyFeaturizer, NormStats, batch_features,
                                  feature_names, fit_stats, forward_fill, hours_since_observed, make_dataset,
                                  stay_features)
from apps.vitals.psv import COLUMN_INDEX, FEATURE_COLUMNS, Stay
from apps.vitals.simulate import simulate_cohort
from suite.errors import UserError

HR, LACTATE, AGE = COLUMN_INDEX["HR"], COLUMN_INDEX["Lactate"], COLUMN_INDEX["Age"]


def small_stay(hours=4, labels=None):
    values = np.full((hours, 40), np.nan)
    values[:, AGE] = 70.0
    for hour, heart_rate in ((1, 100.0), (3, 80.0)):
        if hour < hours:
            values[hour, HR] = heart_rate
    return Stay("s", values, labels)


def unit_stats():
    return NormStats(mean=np.zeros(40), std=np.ones(40))


def test_forward_fill_and_hours_since():
    column = np.array([np.nan, 2.0, np.nan, np.nan, 5.0])
    np.testing.assert_array_equal(forward_fill(column), [np.nan, 2, 2, 2, 5])
    np.testing.assert_array_equal(hours_since_observed(~np.isnan(column)), [MAX_HOURS_SINCE, 0, 1, 2, 0])
    long_gap = np.zeros(100, dtype=bool)
    long_gap[0] = True
    assert hours_since_observed(long_gap)[-1] == MAX_HOURS_SINCE


def test_feature_layout_and_values():
    features = stay_features(small_stay().values, unit_stats())
    names = feature_names()
    assert features.shape == (4, NUM_FEATURES) == (4, 40 + 34 + 34) and len(names) == NUM_FEATURES
    np.testing.assert_array_equal(features[:, names.index("HR")], [0, 6, 6, 6])   # clipped at 6 std
    np.testing.assert_array_equal(features[:, names.index("HR_observed")], [0, 1, 0, 1])
    np.testing.assert_allclose(features[:, names.index("HR_hours_since")], np.array([48, 0, 1, 0]) / 48)
    np.testing.assert_array_equal(features[:, names.index("Lactate")], 0)          # never seen: the mean
    assert "Age_observed" not in names                                                # demographics: value only


def test_fit_stats_uses_observed_values_and_log_for_skewed_labs(tmp_path):
    stay = small_stay()
    stay.values[0, LACTATE], stay.values[2, LACTATE] = 1.0, 3.0
    stats = fit_stats([stay])
    assert stats.mean[HR] == pytest.approx(90.0) and stats.std[HR] == pytest.approx(10.0)
    assert stats.mean[LACTATE] == pytest.approx((np.log(2) + np.log(4)) / 2)
    features = stay_features(stay.values, stats)
    np.testing.assert_allclose(features[:, FEATURE_COLUMNS.index("HR")], [0, 1, 1, -1])
    stats.save(tmp_path / "norm.json")
    loaded = NormStats.load(tmp_path / "norm.json")
    np.testing.assert_allclose(loaded.mean, stats.mean, atol=1e-6)
    (tmp_path / "other.json").write_text('{"version": 1, "columns": ["HR"]}')
    with pytest.raises(UserError, match="different feature layout"):
        NormStats.load(tmp_path / "other.json")


def test_streaming_featurizer_equals_whole_stay():
    stays = simulate_cohort(5, 11)
    stats = fit_stats(stays)
    for stay in stays:
        featurizer = HourlyFeaturizer(stats)
        streamed = np.stack([featurizer.step(row) for row in stay.values])
        np.testing.assert_allclose(streamed, stay_features(stay.values, stats), atol=1e-6)


def test_padding_lengths_and_trimmed_dataset():
    stays = [small_stay(4, np.array([0, 0, 1, 1])), small_stay(2, np.array([0, 0])), small_stay(3, np.array([0, 1, 1]))]
    batch = batch_features(stays, unit_stats())
    assert batch.inputs.shape == (3, 4, NUM_FEATURES) and batch.lengths.tolist() == [4, 2, 3]
    assert np.all(batch.inputs[1, 2:] == 0) and batch.hour_mask().sum() == 9
    dataset = make_dataset(batch, batch_size=2, positive_weight=3.0)
    (x1, y1, w1), (x2, y2, w2) = [tuple(t.numpy() for t in item) for item in dataset]
    assert x1.shape == (2, 4, NUM_FEATURES) and y1.shape == (2, 4, 1)
    assert x2.shape == (1, 3, NUM_FEATURES)                        # trimmed to its longest stay
    np.testing.assert_array_equal(w1, [[1, 1, 3, 3], [1, 1, 0, 0]])  # padding weighs 0, positives 3
    np.testing.assert_array_equal(w2, [[1, 3, 3]])
