"""NEWS2 (National Early Warning Score 2, Royal College of Physicians 2017), hour by hour.

Each hour is scored from the last observed value of each vital up to and including that hour
(forward fill). Assumptions forced by the PSV format, which lacks the needed columns:

- consciousness is assumed Alert (0 points): PSV has no ACVPU/GCS column;
- the patient is assumed to breathe air (0 points for "air or oxygen"): PSV has no oxygen-therapy
  column (FiO2 is a sparse blood-gas lab, not a record of supplementary oxygen);
- SpO2 uses Scale 1 (no hypercapnic target range is known);
- a vital never observed so far in the stay scores 0 points, as clinicians score only what is charted.

Charted values are whole numbers (temperature to 0.1 degC); PSV values can be fractional
(hourly means), so each is rounded half-up to the chart's precision before the table lookup.
"""
from __future__ import annotations

import numpy as np

from apps.vitals.features import forward_fill
from apps.vitals.psv import COLUMN_INDEX, Stay

# RCP 2017 chart as (upper bound of the band, inclusive; points), checked in order. The last band is open.
RESP_BANDS = ((8, 3), (11, 1), (20, 0), (24, 2), (np.inf, 3))            # breaths/min
SPO2_SCALE1_BANDS = ((91, 3), (93, 2), (95, 1), (np.inf, 0))            # %
SYSTOLIC_BANDS = ((90, 3), (100, 2), (110, 1), (219, 0), (np.inf, 3))    # mmHg
PULSE_BANDS = ((40, 3), (50, 1), (90, 0), (110, 1), (130, 2), (np.inf, 3))  # beats/min
TEMPERATURE_BANDS = ((35.0, 3), (36.0, 1), (38.0, 0), (39.0, 1), (np.inf, 2))  # degC

# PSV column, chart bands, decimals charted.
NEWS2_PARAMETERS = (
    ("Resp", RESP_BANDS, 0),
    ("O2Sat", SPO2_SCALE1_BANDS, 0),
    ("SBP", SYSTOLIC_BANDS, 0),
    ("HR", PULSE_BANDS, 0),
    ("Temp", TEMPERATURE_BANDS, 1),
)
CONSCIOUSNESS_POINTS = 0    # assumed Alert
AIR_OR_OXYGEN_POINTS = 0    # assumed air

# RCP clinical-response triggers: aggregate 5+ is "urgent response" (7+ "emergency"); a single parameter scoring 3
# is a "red score" that also needs an urgent ward-based review.
URGENT_AGGREGATE = 5
EMERGENCY_AGGREGATE = 7     # aggregate 7+ is "emergency response"
RED_SINGLE_PARAMETER = 3


def band_points(values: np.ndarray, bands: tuple[tuple[float, int], ...], decimals: int) -> np.ndarray:
    """Points for each value from a band table; NaN (never observed) scores 0."""
    scale = 10.0 ** decimals
    charted = np.floor(values * scale + 0.5) / scale  # round half-up, as a nurse would chart it
    points = np.zeros(values.shape, dtype=np.int32)
    assigned = np.isnan(charted)
    for upper, band_score in bands:
        in_band = ~assigned & (charted <= upper + 1e-9)
        points[in_band] = band_score
        assigned |= in_band
    return points


def news2_components(stay_values: np.ndarray) -> dict[str, np.ndarray]:
    """Per-hour points for each charted parameter of a (hours, 40) stay array."""
    components = {}
    for column, bands, decimals in NEWS2_PARAMETERS:
        last_observed = forward_fill(stay_values[:, COLUMN_INDEX[column]])
        components[column] = band_points(last_observed, bands, decimals)
    return components


def news2_scores(stay: Stay | np.ndarray) -> np.ndarray:
    """The aggregate NEWS2 score (0..20 under the assumptions above) for every hour of a stay."""
    values = stay.values if isinstance(stay, Stay) else stay
    components = news2_components(values)
    return sum(components.values()) + CONSCIOUSNESS_POINTS + AIR_OR_OXYGEN_POINTS


def news2_alerts(stay: Stay | np.ndarray) -> np.ndarray:
    """Per-hour boolean: the RCP urgent-response trigger (aggregate >= 5 or any single 3)."""
    values = stay.values if isinstance(stay, Stay) else stay
    components = news2_components(values)
    aggregate = sum(components.values()) + CONSCIOUSNESS_POINTS + AIR_OR_OXYGEN_POINTS
    red = np.max(np.stack(list(components.values())), axis=0) >= RED_SINGLE_PARAMETER
    return (aggregate >= URGENT_AGGREGATE) | red
