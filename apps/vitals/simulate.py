"""Simulated ICU stays in the PhysioNet 2019 PSV format (no patient data can be downloaded here).

A stay is a sum of interpretable parts: patient baselines (with chronic conditions), a circadian
rhythm, slow physiological drift (AR(1)), episodes of non-septic instability, and, for septic
patients, a prodrome that ramps up before onset and keeps worsening after it. Measurements are
sparse as in an ICU: vitals mostly hourly with gaps, temperature every few hours, lab panels every
6 to 24 hours and more often when the patient is unwell. Two settings ("hospitals") differ in
prevalence, case mix, measurement habits, noise and the shape of the prodrome.
The assumptions are documented in docs/vitals_simulator.md.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from apps.vitals.psv import COLUMN_INDEX, FEATURE_COLUMNS, Stay, format_psv
from suite.atomic import atomic_path
from suite.cli import progress
from suite.errors import UserError

LABEL_LEAD_HOURS = 6          # SepsisLabel is 1 from 6 h before onset on, as in the challenge
MAX_STAY_HOURS = 160          # longer stays add size, not information
MANIFEST_NAME = "simulation.json"


@dataclass(frozen=True)
class Setting:
    """One hospital's parameters. Effects below are in native units (log units for LOG_LABS)."""

    name: str
    file_prefix: str                 # challenge training sets A and B were p0xxxxx and p1xxxxx
    sepsis_prevalence: float         # fraction of stays that become septic
    unstable_fraction: float         # fraction of non-septic stays with instability episodes
    age_mean: float
    baseline_shift: dict             # added to the typical vital baselines
    median_stay_hours: float
    vital_probability: float         # chance a monitored vital is charted in a given hour
    temperature_every_hours: float
    lab_interval_hours: tuple[float, float]
    attention_gain: float            # how much illness shortens the lab interval (informative missingness)
    noise_scale: float
    artefact_rate: float             # per charted vital value
    prodrome_hours: tuple[float, float]
    prodrome_shape: str              # "linear" ramp or "sigmoid" (late, steep)
    prodrome_strength: tuple[float, float]
    hypothermic_fraction: float      # septic patients who cool instead of febrile
    unit_missing_fraction: float     # stays without Unit1/Unit2 (as in real data)


SETTINGS = {
    "hospital_a": Setting(
        name="hospital_a", file_prefix="p0", sepsis_prevalence=0.12, unstable_fraction=0.35, age_mean=62.0,
        baseline_shift={}, median_stay_hours=38.0, vital_probability=0.9, temperature_every_hours=4.0,
        lab_interval_hours=(6.0, 24.0), attention_gain=1.5, noise_scale=1.0, artefact_rate=0.004,
        prodrome_hours=(6.0, 24.0), prodrome_shape="linear", prodrome_strength=(0.15, 1.3),
        hypothermic_fraction=0.15, unit_missing_fraction=0.0),
    "hospital_b": Setting(
        name="hospital_b", file_prefix="p1", sepsis_prevalence=0.07, unstable_fraction=0.45, age_mean=67.0,
        baseline_shift={"HR": 5.0, "SBP": -6.0, "Resp": 1.0, "Temp": -0.15, "O2Sat": -0.6},
        median_stay_hours=30.0, vital_probability=0.78, temperature_every_hours=6.0,
        lab_interval_hours=(10.0, 24.0), attention_gain=0.7, noise_scale=1.4, artefact_rate=0.01,
        prodrome_hours=(4.0, 12.0), prodrome_shape="sigmoid", prodrome_strength=(0.2, 1.2),
        hypothermic_fraction=0.3, unit_missing_fraction=0.35),
}

# Typical adult ICU vitals: (mean, between-patient sd, AR(1) drift sd, measurement noise sd, decimals).
VITALS = {
    "HR": (84.0, 11.0, 5.0, 2.0, 0),
    "O2Sat": (97.3, 1.3, 1.0, 0.8, 0),
    "Temp": (36.9, 0.3, 0.2, 0.1, 2),
    "SBP": (122.0, 14.0, 7.0, 4.0, 0),
    "DBP": (62.0, 8.0, 4.0, 3.0, 0),
    "Resp": (18.0, 2.5, 2.0, 1.5, 0),
    "EtCO2": (35.0, 4.0, 2.0, 1.5, 0),
}
CIRCADIAN_AMPLITUDE = {"HR": 4.0, "SBP": 5.0, "DBP": 3.0, "Temp": 0.25, "Resp": 1.0}
CIRCADIAN_PEAK_CLOCK_HOUR = 16.0     # body temperature and heart rate peak in the late afternoon
DRIFT_CORRELATION = 0.85             # hour-to-hour AR(1) coefficient of physiological drift

# Labs: (typical value, between-patient sd, drift sd, decimals); LOG_LABS are lognormal (sds in log units).
LABS = {
    "BaseExcess": (0.0, 2.5, 1.0, 0), "HCO3": (24.0, 2.5, 1.0, 0), "FiO2": (0.4, 0.0, 0.0, 2),
    "pH": (7.40, 0.03, 0.02, 2), "PaCO2": (40.0, 4.0, 2.5, 0), "SaO2": (97.0, 1.5, 1.0, 0),
    "AST": (35.0, 0.6, 0.15, 0), "BUN": (20.0, 0.5, 0.08, 0), "Alkalinephos": (85.0, 0.4, 0.08, 0),
    "Calcium": (8.4, 0.5, 0.2, 1), "Chloride": (105.0, 3.5, 1.5, 0), "Creatinine": (1.0, 0.45, 0.07, 2),
    "Bilirubin_direct": (0.3, 0.6, 0.15, 1), "Glucose": (130.0, 0.2, 0.15, 0), "Lactate": (1.3, 0.3, 0.15, 1),
    "Magnesium": (2.0, 0.25, 0.12, 1), "Phosphate": (3.4, 0.8, 0.3, 1), "Potassium": (4.1, 0.4, 0.25, 1),
    "Bilirubin_total": (0.8, 0.5, 0.12, 1), "TroponinI": (0.03, 1.0, 0.3, 2), "Hct": (31.0, 4.5, 1.2, 1),
    "Hgb": (10.5, 1.6, 0.4, 1), "PTT": (32.0, 0.18, 0.08, 1), "WBC": (10.0, 0.3, 0.1, 1),
    "Fibrinogen": (300.0, 0.25, 0.08, 0), "Platelets": (210.0, 0.35, 0.06, 0),
}
LOG_LABS = {"AST", "BUN", "Alkalinephos", "Creatinine", "Bilirubin_direct", "Glucose", "Lactate",
            "Bilirubin_total", "TroponinI", "PTT", "WBC", "Fibrinogen", "Platelets"}

# What sepsis does per unit of severity (severity ~1 is a clear septic picture).
SEPSIS_EFFECTS = {
    "HR": 15.0, "O2Sat": -2.0, "Temp": 1.0, "SBP": -12.0, "DBP": -7.0, "Resp": 4.0, "EtCO2": -3.0,
    "BaseExcess": -5.0, "HCO3": -4.0, "pH": -0.07, "PaCO2": -5.0, "SaO2": -2.0, "Calcium": -0.4,
    "Potassium": 0.2, "Hct": -2.0, "Hgb": -0.7, "Phosphate": 0.4, "AST": 0.5, "BUN": 0.35,
    "Alkalinephos": 0.1, "Creatinine": 0.45, "Bilirubin_direct": 0.7, "Glucose": 0.2, "Lactate": 0.75,
    "Bilirubin_total": 0.55, "TroponinI": 0.5, "WBC": 0.45, "Platelets": -0.35, "PTT": 0.15,
    "Fibrinogen": 0.25,
}
HYPOTHERMIC_TEMP_EFFECT = -0.9
LEUKOPENIC_WBC_EFFECT = -0.5          # some septic patients' white count falls instead of rising
LEUKOPENIC_FRACTION = 0.2
POST_ONSET_HOURS_TO_PLATEAU = 12.0
POST_ONSET_GROWTH = 0.3               # severity keeps rising by 30% after onset, then plateaus

# Non-septic instability episodes: per unit of intensity. They make NEWS2 fire on non-septic
# patients; most lack sepsis's lab signature (lactate, white count, creatinine, bilirubin, platelets).
EPISODES = {
    "bleeding": {"HR": 26.0, "SBP": -26.0, "DBP": -13.0, "Resp": 3.0, "Hgb": -2.0, "Hct": -6.0, "Lactate": 0.35},
    "respiratory": {"Resp": 9.0, "O2Sat": -6.0, "HR": 12.0, "SBP": 6.0, "PaCO2": 12.0, "pH": -0.08,
                    "SaO2": -6.0, "EtCO2": 8.0},
    "arrhythmia": {"HR": 42.0, "SBP": -12.0, "DBP": -6.0, "TroponinI": 0.8},
    "fever": {"Temp": 1.5, "HR": 15.0, "Resp": 3.0, "WBC": 0.15},
    "agitation": {"SBP": 32.0, "DBP": 14.0, "HR": 20.0, "Resp": 6.0},
    "hypothermia": {"Temp": -1.8, "HR": -8.0, "SBP": 10.0},
}
EPISODES_PER_UNSTABLE_STAY = 1.6      # Poisson mean (at least one)
EPISODE_HOURS = (3, 18)
EPISODE_INTENSITY = (0.5, 1.4)

# Chronic conditions shift baselines, so a high NEWS2 can be that patient's normal.
CHRONIC = {
    "copd": (0.12, {"O2Sat": -4.0, "Resp": 4.0, "PaCO2": 10.0, "HCO3": 4.0}),
    "chronic_tachycardia": (0.10, {"HR": 18.0}),
    "beta_blocked": (0.20, {"HR": -12.0}),
    "hypertension": (0.30, {"SBP": 18.0, "DBP": 6.0}),
    "kidney_disease": (0.12, {"Creatinine": 0.8, "BUN": 0.6, "Potassium": 0.3, "Hgb": -1.5, "Hct": -4.5}),
    "cirrhosis": (0.05, {"Bilirubin_total": 1.0, "Bilirubin_direct": 1.0, "Platelets": -0.6, "PTT": 0.2}),
}

# Lab panels: (columns, probability each is reported when the panel is drawn).
PANELS = {
    "chemistry": (("BUN", "Creatinine", "Glucose", "Potassium", "Chloride", "HCO3", "Calcium", "Magnesium",
                   "Phosphate"), (0.9, 0.9, 0.9, 0.9, 0.85, 0.85, 0.7, 0.6, 0.55)),
    "blood_count": (("Hct", "Hgb", "WBC", "Platelets"), (0.95, 0.9, 0.9, 0.9)),
    "blood_gas": (("pH", "PaCO2", "BaseExcess", "SaO2", "FiO2", "HCO3", "Lactate"), (0.95, 0.95, 0.8, 0.6, 0.7, 0.5, 0.5)),
    "liver": (("AST", "Alkalinephos", "Bilirubin_total", "Bilirubin_direct"), (0.9, 0.85, 0.9, 0.3)),
    "coagulation": (("PTT", "Fibrinogen"), (0.95, 0.35)),
}
LIVER_PANEL_PROBABILITY = 0.35
COAGULATION_PANEL_PROBABILITY = 0.45
BLOOD_GAS_PROBABILITY = 0.25          # for non-ventilated patients who are well
VENTILATED_FRACTION = 0.2
TROPONIN_PROBABILITY = 0.08           # at any panel; higher during arrhythmia


def simulate_stay(rng: np.random.Generator, setting: Setting, name: str) -> Stay:
    """One random stay of ``setting``: hourly values (NaN where not measured) and SepsisLabel."""
    septic = rng.random() < setting.sepsis_prevalence
    hours, onset = _stay_timing(rng, setting, septic)
    severity = _sepsis_severity(rng, setting, hours, onset) if septic else np.zeros(hours)
    truth = _patient_baselines(rng, setting, hours)
    _add_circadian(rng, truth, hours)
    episode_load = _add_episodes(rng, setting, truth, hours, septic)
    _add_sepsis(rng, setting, truth, severity)
    illness = np.maximum(severity, episode_load)
    values = np.full((hours, len(FEATURE_COLUMNS)), np.nan)
    _chart_vitals(rng, setting, truth, illness, values)
    _chart_labs(rng, setting, truth, illness, episode_load, values)
    _fill_demographics(rng, setting, septic, values)
    labels = np.zeros(hours, dtype=np.int8)
    if septic:
        labels[max(0, onset - LABEL_LEAD_HOURS):] = 1
    return Stay(name=name, values=values, labels=labels)


def simulate_cohort(patients: int, seed: int, setting: str = "hospital_a", show_progress: bool = False) -> list[Stay]:
    """``patients`` stays; stay i depends only on (seed, setting, i), so cohorts nest across sizes."""
    config = SETTINGS[setting]
    children = np.random.SeedSequence([seed, list(SETTINGS).index(setting)]).spawn(patients)
    stays = []
    for index in progress(range(patients), f"simulating {setting}", total=patients, enabled=show_progress):
        name = f"{config.file_prefix}{index + 1:05d}"
        stays.append(simulate_stay(np.random.default_rng(children[index]), config, name))
    return stays


def write_cohort(out: str | Path, stays: list[Stay], manifest: dict) -> None:
    """Write stays as ``NAME.psv`` plus a manifest, as one atomic folder."""
    out = Path(out)
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MANIFEST_NAME).exists())):
        raise UserError(f"{out}: exists and is not an earlier simulate output; refusing to overwrite it")
    with atomic_path(out, is_dir=True) as tmp:
        for stay in stays:
            (tmp / f"{stay.name}.psv").write_text(format_psv(stay), encoding="utf-8")
        (tmp / MANIFEST_NAME).write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")


def _stay_timing(rng: np.random.Generator, setting: Setting, septic: bool) -> tuple[int, int]:
    """Stay length in hours and, for septic stays, the onset hour (0-based row of t_sepsis)."""
    if not septic:
        hours = int(np.clip(round(setting.median_stay_hours * rng.lognormal(0.0, 0.6)), 8, MAX_STAY_HOURS))
        return hours, -1
    onset = int(np.clip(round(rng.gamma(2.0, setting.median_stay_hours / 2.0)), LABEL_LEAD_HOURS + 2, 120))
    hours = min(onset + int(rng.integers(4, 37)), MAX_STAY_HOURS)
    return hours, onset


def _sepsis_severity(rng: np.random.Generator, setting: Setting, hours: int, onset: int) -> np.ndarray:
    """0 well before onset, ramping to ``strength`` at onset, then worsening to a plateau."""
    strength = rng.uniform(*setting.prodrome_strength)
    length = rng.uniform(*setting.prodrome_hours)
    t = np.arange(hours, dtype=np.float64) - onset
    if setting.prodrome_shape == "linear":
        before = np.clip(1.0 + t / length, 0.0, 1.0)
    else:  # steep and late: half-way at 1/3 of the prodrome before onset
        before = 1.0 / (1.0 + np.exp(-(t + length / 3.0) / (length / 8.0)))
    after = 1.0 + POST_ONSET_GROWTH * np.clip(t / POST_ONSET_HOURS_TO_PLATEAU, 0.0, 1.0)
    return strength * np.where(t < 0, before, after)


def _patient_baselines(rng: np.random.Generator, setting: Setting, hours: int) -> dict[str, np.ndarray]:
    """True (unmeasured) hourly trajectories: baseline + chronic shifts + AR(1) drift."""
    truth: dict[str, np.ndarray] = {}
    shifts = dict(setting.baseline_shift)
    for probability, effects in CHRONIC.values():
        if rng.random() < probability:
            for column, effect in effects.items():
                shifts[column] = shifts.get(column, 0.0) + effect
    for column, (mean, between_sd, drift_sd, _, _) in VITALS.items():
        level = mean + shifts.get(column, 0.0) + rng.normal(0.0, between_sd)
        truth[column] = level + _ar1(rng, hours, drift_sd * setting.noise_scale)
    for column, (typical, between_sd, drift_sd, _) in LABS.items():
        centre = np.log(typical) if column in LOG_LABS else typical
        level = centre + shifts.get(column, 0.0) + rng.normal(0.0, between_sd)
        truth[column] = level + _ar1(rng, hours, drift_sd, correlation=0.95)
    return truth


def _add_circadian(rng: np.random.Generator, truth: dict[str, np.ndarray], hours: int) -> None:
    clock = (rng.integers(0, 24) + np.arange(hours)) % 24
    wave = np.cos(2 * np.pi * (clock - CIRCADIAN_PEAK_CLOCK_HOUR) / 24.0)
    for column, amplitude in CIRCADIAN_AMPLITUDE.items():
        truth[column] += amplitude * rng.uniform(0.5, 1.5) * wave


def _add_episodes(rng: np.random.Generator, setting: Setting, truth: dict[str, np.ndarray], hours: int,
                  septic: bool) -> np.ndarray:
    """Add non-septic instability episodes; return their combined intensity per hour."""
    load = np.zeros(hours)
    if rng.random() >= setting.unstable_fraction * (0.5 if septic else 1.0):
        return load
    kinds = list(EPISODES)
    for _ in range(max(1, rng.poisson(EPISODES_PER_UNSTABLE_STAY))):
        kind = kinds[rng.integers(len(kinds))]
        start = rng.integers(0, hours) if kind != "hypothermia" else rng.integers(0, min(hours, 6))
        duration = rng.integers(*EPISODE_HOURS)
        rise = rng.uniform(0.5, 3.0)   # sudden, unlike a septic prodrome: hours not days
        t = np.arange(hours) - start
        shape = np.clip(np.minimum((t + 1) / rise, (duration - t) / rise), 0.0, 1.0)
        intensity = rng.uniform(*EPISODE_INTENSITY) * shape
        for column, effect in EPISODES[kind].items():
            truth[column] += effect * intensity
        load = np.maximum(load, intensity)
    return load


def _add_sepsis(rng: np.random.Generator, setting: Setting, truth: dict[str, np.ndarray], severity: np.ndarray) -> None:
    effects = dict(SEPSIS_EFFECTS)
    if rng.random() < setting.hypothermic_fraction:
        effects["Temp"] = HYPOTHERMIC_TEMP_EFFECT
    if rng.random() < LEUKOPENIC_FRACTION:
        effects["WBC"] = LEUKOPENIC_WBC_EFFECT
    # Each patient expresses each organ's response to a different degree.
    for column, effect in effects.items():
        truth[column] += effect * rng.uniform(0.4, 1.4) * severity


def _chart_vitals(rng: np.random.Generator, setting: Setting, truth: dict[str, np.ndarray], illness: np.ndarray,
                  values: np.ndarray) -> None:
    hours = values.shape[0]
    # Hours with nothing charted (transport, procedures): short gaps.
    present = np.ones(hours, dtype=bool)
    for start in np.flatnonzero(rng.random(hours) < 0.03):
        present[start:start + rng.integers(1, 5)] = False
    # Sicker patients are watched more closely.
    probability = np.clip(setting.vital_probability + 0.15 * illness, 0.0, 0.99)
    ventilated = rng.random() < VENTILATED_FRACTION
    truth["MAP"] = truth["DBP"] + (truth["SBP"] - truth["DBP"]) / 3.0
    groups = {("HR",): probability, ("O2Sat",): probability - 0.03, ("SBP", "DBP", "MAP"): probability - 0.05,
              ("Resp",): probability - 0.08, ("EtCO2",): np.full(hours, 0.7 if ventilated else 0.0)}
    temperature_due = (np.arange(hours) + rng.integers(0, 4)) % max(1, round(setting.temperature_every_hours)) == 0
    groups[("Temp",)] = np.where(temperature_due, 0.9, 0.04 + 0.3 * illness)
    for columns, chance in groups.items():
        charted = present & (rng.random(hours) < chance)
        for column in columns:
            noise_sd = VITALS[column][3] if column in VITALS else 2.0
            measured = truth[column] + rng.normal(0.0, noise_sd * setting.noise_scale, hours)
            values[charted, COLUMN_INDEX[column]] = measured[charted]
    _add_artefacts(rng, setting, values)
    column = values[:, COLUMN_INDEX["O2Sat"]]
    np.minimum(column, 100.0, out=column)
    for name in ("HR", "O2Sat", "SBP", "MAP", "DBP", "Resp", "EtCO2", "Temp"):
        decimals = VITALS[name][4] if name in VITALS else 0
        values[:, COLUMN_INDEX[name]] = np.round(np.maximum(values[:, COLUMN_INDEX[name]], 0.0), decimals)


def _add_artefacts(rng: np.random.Generator, setting: Setting, values: np.ndarray) -> None:
    """Device artefacts: probe-off SpO2 dips, double-counted HR, flushed arterial line, Fahrenheit temps."""
    artefacts = {
        "O2Sat": lambda v: rng.uniform(55.0, 85.0, v.shape),
        "HR": lambda v: v * 2.0,
        "SBP": lambda v: rng.uniform(230.0, 300.0, v.shape),
        "Temp": lambda v: v * 9.0 / 5.0 + 32.0,   # physiologically impossible in degC: the reader drops it
    }
    for column, corrupt in artefacts.items():
        cells = values[:, COLUMN_INDEX[column]]
        hit = ~np.isnan(cells) & (rng.random(cells.shape) < setting.artefact_rate)
        cells[hit] = corrupt(cells[hit])


def _chart_labs(rng: np.random.Generator, setting: Setting, truth: dict[str, np.ndarray], illness: np.ndarray,
                episode_load: np.ndarray, values: np.ndarray) -> None:
    hours = values.shape[0]
    ventilated = not np.isnan(values[:, COLUMN_INDEX["EtCO2"]]).all()
    truth["FiO2"] = np.clip(0.35 + 0.25 * np.maximum(0.0, (96.0 - truth["O2Sat"]) / 6.0), 0.21, 1.0)
    hour = float(rng.uniform(0.0, 3.0))
    low, high = setting.lab_interval_hours
    while hour < hours:
        row = int(hour)
        drawn = {"chemistry", "blood_count"}
        if ventilated or rng.random() < BLOOD_GAS_PROBABILITY + 0.6 * illness[row]:
            drawn.add("blood_gas")
        if rng.random() < LIVER_PANEL_PROBABILITY:
            drawn.add("liver")
        if rng.random() < COAGULATION_PANEL_PROBABILITY:
            drawn.add("coagulation")
        for panel in [name for name in PANELS if name in drawn]:  # fixed order: set order varies by process
            columns, chances = PANELS[panel]
            for column, chance in zip(columns, chances):
                if rng.random() < chance:
                    values[row, COLUMN_INDEX[column]] = _lab_value(column, truth[column][row])
        if rng.random() < TROPONIN_PROBABILITY + 0.5 * episode_load[row]:
            values[row, COLUMN_INDEX["TroponinI"]] = _lab_value("TroponinI", truth["TroponinI"][row])
        hour += rng.uniform(low, high) / (1.0 + setting.attention_gain * illness[row])


def _lab_value(column: str, true_value: float) -> float:
    decimals = LABS[column][3]
    value = np.exp(true_value) if column in LOG_LABS else true_value
    return float(np.round(value, decimals))


def _fill_demographics(rng: np.random.Generator, setting: Setting, septic: bool, values: np.ndarray) -> None:
    hours = values.shape[0]
    age = np.clip(rng.normal(setting.age_mean + (4.0 if septic else 0.0), 16.0), 18.0, 100.0)
    medical = rng.random() < (0.6 if septic else 0.5)   # sepsis is more common in the medical ICU
    values[:, COLUMN_INDEX["Age"]] = round(float(age), 2)
    values[:, COLUMN_INDEX["Gender"]] = float(rng.random() < 0.56)
    if rng.random() >= setting.unit_missing_fraction:
        values[:, COLUMN_INDEX["Unit1"]] = float(medical)
        values[:, COLUMN_INDEX["Unit2"]] = float(not medical)
    values[:, COLUMN_INDEX["HospAdmTime"]] = -round(float(rng.lognormal(1.5, 1.8)), 2)
    values[:, COLUMN_INDEX["ICULOS"]] = np.arange(1, hours + 1)


def _ar1(rng: np.random.Generator, hours: int, sd: float, correlation: float = DRIFT_CORRELATION) -> np.ndarray:
    """A stationary AR(1) series with marginal standard deviation ``sd``."""
    shocks = rng.normal(0.0, sd * np.sqrt(1.0 - correlation ** 2), hours)
    series = np.empty(hours)
    previous = rng.normal(0.0, sd)
    for t in range(hours):
        previous = correlation * previous + shocks[t]
        series[t] = previous
    return series
