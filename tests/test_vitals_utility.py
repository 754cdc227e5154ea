"""The challenge's normalised utility against hand-computed cases, and the per-hour AUROC/AUPRC."""
import numpy as np
import pytest

from apps.vitals.utility import (best_predictions, hourly_auprc, hourly_auroc, normalized_utility,
                                 stay_utility)


def septic_labels(hours: int, onset: int) -> np.ndarray:
    """SepsisLabel as in the challenge: 1 from 6 hours before onset on."""
    labels = np.zeros(hours, dtype=int)
    labels[onset - 6:] = 1
    return labels


def predict_from(hours: int, first: int) -> np.ndarray:
    predictions = np.zeros(hours, dtype=int)
    predictions[first:] = 1
    return predictions


# A 20-hour stay with onset at hour 12 (labels from hour 6); hours after 15 = onset + 3 do not count.
# Best: ramp 0,1/6..1 over hours 0..6 (sum 21/6 = 3.5) then 8/9..0 over hours 7..15 (sum 36/9 = 4): 7.5.
# Nothing: 0 up to hour 6, then -2/9, -4/9, ..., -2 over hours 7..15 (sum -90/9 = -10).
LABELS = septic_labels(20, 12)
BEST, INACTION = 7.5, -10.0


def test_stay_utilities_by_hand():
    assert stay_utility(LABELS, best_predictions(LABELS)) == pytest.approx(BEST)
    assert stay_utility(LABELS, np.zeros(20)) == pytest.approx(INACTION)
    np.testing.assert_array_equal(best_predictions(LABELS), predict_from(20, 0) * (np.arange(20) <= 15))
    # Late: alarms from onset: misses at hours 7..11 cost -(2+4+6+8+10)/9, hits at 12..15 earn (3+2+1+0)/9.
    assert stay_utility(LABELS, predict_from(20, 12)) == pytest.approx(-30 / 9 + 6 / 9)
    # A false alarm hour on a non-septic stay costs 0.05.
    assert stay_utility(np.zeros(10), np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0])) == pytest.approx(-0.2)


def test_perfect_predictor_scores_one_and_no_predictor_zero():
    cohort = [LABELS, np.zeros(15, dtype=int), septic_labels(40, 30)]
    assert normalized_utility(cohort, [best_predictions(y) for y in cohort]) == pytest.approx(1.0)
    assert normalized_utility(cohort, [np.zeros(len(y)) for y in cohort]) == pytest.approx(0.0)


def test_late_prediction():
    assert normalized_utility([LABELS], [predict_from(20, 12)]) == pytest.approx((-24 / 9 - INACTION) / (BEST - INACTION))


def test_early_prediction_pays_false_alarm_cost_before_the_window():
    # 30 hours, onset at 20: alarms from hour 0; hours 0..7 precede onset - 12 and cost 0.05 each.
    labels = septic_labels(30, 20)
    expected = (BEST - 8 * 0.05 - INACTION) / (BEST - INACTION)
    assert normalized_utility([labels], [np.ones(30)]) == pytest.approx(expected)
    assert expected == pytest.approx(17.1 / 17.5)


def test_false_positives_on_a_non_septic_stay():
    cohort = [LABELS, np.zeros(10, dtype=int)]
    predictions = [best_predictions(LABELS), np.array([1, 1, 0, 0, 1, 1, 0, 0, 0, 0])]
    assert normalized_utility(cohort, predictions) == pytest.approx((BEST - 0.2 - INACTION) / (BEST - INACTION))


def test_matches_a_literal_port_of_the_challenge_loop():
    rng = np.random.default_rng(0)
    for _ in range(50):
        hours = int(rng.integers(5, 60))
        labels = septic_labels(hours, int(rng.integers(6, hours + 10))) if rng.random() < 0.6 else np.zeros(hours)
        labels = labels[:hours]
        predictions = rng.random(hours) < 0.3
        assert stay_utility(labels, predictions) == pytest.approx(challenge_loop(labels, predictions))


def challenge_loop(labels, predictions, dt_early=-12, dt_optimal=-6, dt_late=3.0, max_u_tp=1, min_u_fn=-2,
                   u_fp=-0.05, u_tn=0):
    """compute_prediction_utility from evaluate_sepsis_score.py, transcribed loop for loop."""
    if np.any(labels):
        is_septic, t_sepsis = True, np.argmax(labels) - dt_optimal
    else:
        is_septic, t_sepsis = False, float("inf")
    m_1 = float(max_u_tp) / float(dt_optimal - dt_early)
    b_1 = -m_1 * dt_early
    m_2 = float(-max_u_tp) / float(dt_late - dt_optimal)
    b_2 = -m_2 * dt_late
    m_3 = float(min_u_fn) / float(dt_late - dt_optimal)
    b_3 = -m_3 * dt_optimal
    u = np.zeros(len(labels))
    for t in range(len(labels)):
        if t <= t_sepsis + dt_late:
            if is_septic and predictions[t]:
                if t <= t_sepsis + dt_optimal:
                    u[t] = max(m_1 * (t - t_sepsis) + b_1, u_fp)
                elif t <= t_sepsis + dt_late:
                    u[t] = m_2 * (t - t_sepsis) + b_2
            elif not is_septic and predictions[t]:
                u[t] = u_fp
            elif is_septic and not predictions[t]:
                if t <= t_sepsis + dt_optimal:
                    u[t] = 0
                elif t <= t_sepsis + dt_late:
                    u[t] = m_3 * (t - t_sepsis) + b_3
            else:
                u[t] = u_tn
    return np.sum(u)


def test_cohort_without_sepsis_is_undefined():
    with pytest.raises(ValueError, match="without septic stays"):
        normalized_utility([np.zeros(5)], [np.zeros(5)])


def test_hourly_auroc_and_auprc_pool_all_hours():
    labels = [np.array([0, 0]), np.array([1, 1])]
    scores = [np.array([0.1, 0.4]), np.array([0.35, 0.8])]
    assert hourly_auroc(labels, scores) == pytest.approx(0.75)          # 3 of 4 pairs ranked right
    assert hourly_auprc(labels, scores) == pytest.approx(0.5 * 1 + 0.5 * 2 / 3)
