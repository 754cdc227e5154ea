"""NEWS2 against hand-computed rows of the RCP 2017 chart, band boundaries included."""
import numpy as np
import pytest

from apps.vitals.news2 import news2_alerts, news2_components, news2_scores
from apps.vitals.psv import COLUMN_INDEX


def stay_rows(*rows: dict) -> np.ndarray:
    values = np.full((len(rows), 40), np.nan)
    for hour, row in enumerate(rows):
        for name, value in row.items():
            values[hour, COLUMN_INDEX[name]] = value
    return values


def vitals(resp, spo2, sbp, pulse, temp) -> dict:
    return {"Resp": resp, "O2Sat": spo2, "SBP": sbp, "HR": pulse, "Temp": temp}


# (Resp, SpO2, SBP, pulse, temperature) -> points per parameter, hand-read from the RCP chart.
CHART_ROWS = [
    (vitals(16, 97, 120, 70, 37.0), (0, 0, 0, 0, 0)),
    (vitals(8, 91, 90, 40, 35.0), (3, 3, 3, 3, 3)),     # upper edges of the lowest bands
    (vitals(9, 92, 91, 41, 35.1), (1, 2, 2, 1, 1)),     # lower edges of the next bands
    (vitals(11, 93, 100, 50, 36.0), (1, 2, 2, 1, 1)),
    (vitals(12, 94, 101, 51, 36.1), (0, 1, 1, 0, 0)),
    (vitals(20, 95, 110, 90, 38.0), (0, 1, 1, 0, 0)),
    (vitals(21, 96, 111, 91, 38.1), (2, 0, 0, 1, 1)),
    (vitals(24, 100, 219, 110, 39.0), (2, 0, 0, 1, 1)),
    (vitals(25, 96, 220, 111, 39.1), (3, 0, 3, 2, 2)),
    (vitals(30, 99, 250, 130, 40.0), (3, 0, 3, 2, 2)),
    (vitals(4, 85, 70, 131, 33.0), (3, 3, 3, 3, 3)),
]


@pytest.mark.parametrize("row, points", CHART_ROWS)
def test_chart_rows(row, points):
    values = stay_rows(row)
    components = news2_components(values)
    got = tuple(int(components[name][0]) for name in ("Resp", "O2Sat", "SBP", "HR", "Temp"))
    assert got == points
    assert news2_scores(values)[0] == sum(points)


def test_vectorised_over_a_stay_equals_row_by_row():
    values = stay_rows(*(row for row, _ in CHART_ROWS))
    np.testing.assert_array_equal(news2_scores(values), [sum(points) for _, points in CHART_ROWS])
    assert news2_scores(values).tolist() == [0, 15, 7, 7, 2, 2, 4, 4, 10, 10, 15]


def test_last_observed_value_is_carried_forward_and_unseen_scores_zero():
    values = stay_rows(
        {"HR": 120},                      # only pulse seen yet: 2
        {"Resp": 26},                     # pulse carried (2) + resp 3
        {},                               # nothing new: same 5
        {"HR": 80, "Temp": 38.5},         # pulse back to 0, resp carried 3, temp 1
    )
    assert news2_scores(values).tolist() == [2, 5, 5, 4]


def test_fractional_values_are_rounded_half_up_to_chart_precision():
    values = stay_rows({"HR": 90.4}, {"HR": 90.5}, {"Temp": 38.04}, {"Temp": 38.05, "HR": 60}, {"Resp": 20.5})
    assert news2_scores(values).tolist() == [0, 1, 1, 1, 3]


def test_alert_on_aggregate_five_or_any_red_parameter():
    values = stay_rows(
        vitals(16, 97, 120, 70, 37.0),    # 0
        vitals(21, 95, 120, 95, 37.0),    # 2 + 1 + 1 = 4, no single 3
        vitals(21, 95, 105, 95, 37.0),    # 5
        vitals(25, 97, 120, 70, 37.0),    # 3 from resp alone: red
    )
    assert news2_scores(values).tolist() == [0, 4, 5, 3]
    assert news2_alerts(values).tolist() == [False, False, True, True]
