"""The app's data: the bundled real series, a user's CSV, per-series scaling, features and windows.

Bundled series are read from the installed packages' data folders (found with ``importlib.util.find_spec``,
so pmdarima, pvlib, statsmodels and bokeh_sampledata are never imported): taylor (half-hourly electricity
demand), two TMY3 hourly series (Greensboro NC temperature and irradiance), co2 (weekly), elec_equip
(monthly), sunspots (yearly) and CGM glucose (5-minute). Gaps in co2 and CGM are linearly interpolated
(documented in docs/apps/forecast.md); a user's CSV must be regular (apps.forecast.series).
"""
from __future__ import annotations

import csv
import gzip
import io
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from apps.forecast.series import Series, future_times, read_csv
from suite import package_data
from suite.errors import UserError

# Share of each series held out at its end for rolling-origin evaluation (the model never trains on it).
TEST_FRACTION = 0.2
# Share before the held-out end kept out of training to calibrate the 80% intervals (conformalized quantiles).
VALIDATION_FRACTION = 0.1
# Inputs are clipped to this many scale units, so an outlier or a level far outside training stays in range
# for the int8 export (whose input range is calibrated on training windows).
INPUT_CLIP = 5.0
CALENDAR_FEATURES = 6        # sin/cos of the time of day, the day of the week and the day of the year
VALUE_FEATURES = 3           # the value (centred, scaled), its first and its seasonal difference (scaled)
FEATURES = VALUE_FEATURES + CALENDAR_FEATURES
SECONDS_PER_DAY = 86400.0
DAYS_PER_WEEK = 7.0
DAYS_PER_YEAR = 365.25


# --------------------------------------------------------------------------- bundled series
def package_folder(package: str) -> Path:
    """An installed package's folder, without importing it (they pull pandas and more)."""
    return package_data.package_folder(package, f"the bundled series need the {package} package: pip install {package}")


def _taylor() -> tuple[np.ndarray, np.ndarray]:
    """pmdarima keeps taylor as a literal list in taylor.py; Monday 5 June 2000 00:00, half-hourly."""
    import ast

    text = (package_folder("pmdarima") / "datasets" / "taylor.py").read_text()
    start = text.index("np.array([") + len("np.array(")
    values = np.array(ast.literal_eval(text[start:text.index("]", start) + 1]), float)
    times = np.datetime64("2000-06-05T00:00", "s") + np.arange(len(values)) * np.timedelta64(1800, "s")
    return times, values


def _tmy3(column: str) -> Callable[[], tuple[np.ndarray, np.ndarray]]:
    """One column of pvlib's Greensboro TMY3 file (8,760 hours; its months come from different years,
    so the times are laid on one year, 1990, from hour-ending 01:00, which the covariates only use for the calendar)."""

    def load() -> tuple[np.ndarray, np.ndarray]:
        lines = (package_folder("pvlib") / "data" / "723170TYA.CSV").read_text().splitlines()[1:]
        rows = list(csv.DictReader(lines))
        values = np.array([float(row[column]) for row in rows])
        times = np.datetime64("1990-01-01T01:00", "s") + np.arange(len(values)) * np.timedelta64(3600, "s")
        return times, values

    return load


def _statsmodels_csv(dataset: str, parse_time: Callable[[str], np.datetime64]) -> Callable[[], tuple]:
    def load() -> tuple[np.ndarray, np.ndarray]:
        path = package_folder("statsmodels") / "datasets" / dataset / f"{dataset}.csv"
        rows = list(csv.reader(io.StringIO(path.read_text())))[1:]
        times = np.array([parse_time(row[0].strip('"')) for row in rows], dtype="datetime64[s]")
        values = np.array([float(row[1]) if row[1].strip() else np.nan for row in rows])
        return times, interpolate_gaps(values)

    return load


def _yyyymmdd(text: str) -> np.datetime64:
    return np.datetime64(f"{text[:4]}-{text[4:6]}-{text[6:8]}", "s")


MONTHS = {name: index for index, name in enumerate(
    ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"), start=1)}


def _month_day_year(text: str) -> np.datetime64:
    month, day, year = text.split("-")
    return np.datetime64(f"{year}-{MONTHS[month]:02d}-{int(day):02d}", "s")


def _year(text: str) -> np.datetime64:
    return np.datetime64(f"{int(float(text)):04d}-01-01", "s")


CGM_STEP_S = 300  # the sensor's 5-minute cadence; readings are snapped onto this grid


def _cgm() -> tuple[np.ndarray, np.ndarray]:
    """bokeh_sampledata's CGM.csv.gz (public domain): readings snapped to a 5-minute grid, gaps interpolated."""
    with gzip.open(package_folder("bokeh_sampledata") / "_data" / "CGM.csv.gz", "rt") as handle:
        rows = list(csv.DictReader(handle))
    stamps = np.array([np.datetime64(row["datetime"].replace(" ", "T"), "s") for row in rows])
    seconds = (stamps - stamps[0]) / np.timedelta64(1, "s")
    slots = np.round(seconds / CGM_STEP_S).astype(int)
    values = np.full(slots[-1] + 1, np.nan)
    values[slots] = [float(row["glucose"]) for row in rows]
    times = stamps[0] + np.arange(len(values)) * np.timedelta64(CGM_STEP_S, "s")
    return times, interpolate_gaps(values)


def interpolate_gaps(values: np.ndarray) -> np.ndarray:
    """Linear interpolation over NaNs (bundled series only; a user's gaps are errors)."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    filled = values.copy()
    filled[missing] = np.interp(np.flatnonzero(missing), np.flatnonzero(~missing), values[~missing])
    return filled


@dataclass(frozen=True)
class Bundled:
    load: Callable[[], tuple[np.ndarray, np.ndarray]]
    season: int            # seasonal-naive period and MASE scale period
    ets_season: int | None  # the ETS baseline's seasonal period (None: no seasonal component)
    unit: str
    source: str


BUNDLED: dict[str, Bundled] = {
    # taylor's strongest cycle is the week (336 half-hours): the seasonal-naive baseline repeats last week;
    # a 336-state seasonal ETS is too slow to refit per origin, so ETS models the daily cycle (48).
    "taylor": Bundled(_taylor, 336, 48, "MW", "pmdarima 2.1.1 (MIT): taylor, England and Wales demand 2000"),
    "greensboro_temperature": Bundled(_tmy3("Dry-bulb (C)"), 24, 24, "degC",
                                      "pvlib 0.16.1 (BSD-3): TMY3 723170TYA.CSV dry-bulb temperature"),
    "greensboro_ghi": Bundled(_tmy3("GHI (W/m^2)"), 24, 24, "W/m^2",
                              "pvlib 0.16.1 (BSD-3): TMY3 723170TYA.CSV global horizontal irradiance"),
    "co2": Bundled(_statsmodels_csv("co2", _yyyymmdd), 52, 52, "ppm",
                   "statsmodels 0.15 (BSD-3): Mauna Loa CO2, weekly 1958-2001 (59 gaps interpolated)"),
    "elec_equip": Bundled(_statsmodels_csv("elec_equip", _month_day_year), 12, 12, "index",
                          "statsmodels 0.15 (BSD-3): euro-area electrical equipment orders, monthly"),
    # The solar cycle is about 11 years; it is not a calendar season, so ETS gets none.
    "sunspots": Bundled(_statsmodels_csv("sunspots", _year), 11, None, "count",
                        "statsmodels 0.15 (BSD-3): yearly sunspot numbers 1700-2008"),
    # Glucose's daily cycle (288 five-minute steps) is weak and too long for a per-origin ETS.
    "cgm_glucose": Bundled(_cgm, 288, None, "mg/dL",
                           "bokeh_sampledata 2026.1 (public domain): CGM.csv.gz, 5-minute glucose"),
}


def load_bundled(name: str) -> Series:
    if name not in BUNDLED:
        raise UserError(f"unknown series {name!r}: choose from {', '.join(BUNDLED)}")
    info = BUNDLED[name]
    times, values = info.load()
    return Series(name, times, values, info.season, info.unit, info.source)


def load_all(names: list[str] | None = None) -> list[Series]:
    return [load_bundled(name) for name in (names or list(BUNDLED))]


def load_source(data: str | None, names: list[str] | None = None) -> list[Series]:
    """``--data``: a user's CSV (every value column), else the bundled series (optionally by name)."""
    if data:
        return read_csv(data)
    return load_all(names)


def series_from_config(config: dict) -> list[Series]:
    """The series a model was trained on (config.json "series"): bundled ones by name, a user's CSV columns
    from the file named as their source."""
    found = []
    for name, saved in config.get("series", {}).items():
        if name in BUNDLED and saved.get("source") == BUNDLED[name].source:
            found.append(load_bundled(name))
        elif saved.get("source") and Path(saved["source"]).is_file():
            found.extend(read_csv(saved["source"], [name]))
        else:
            raise UserError(f"series {name!r} of this model: its data {saved.get('source')!r} is not available")
    return found


def ets_season(series: Series) -> int | None:
    """The ETS baseline's seasonal period: the bundled choice, else the series' season when short."""
    if series.name in BUNDLED and series.source == BUNDLED[series.name].source:
        return BUNDLED[series.name].ets_season
    return series.season if 2 <= series.season <= MAX_ETS_SEASON else None


MAX_ETS_SEASON = 60  # longer seasons make the state-space ETS too slow to refilter at every origin


# --------------------------------------------------------------------------- scaling and features
@dataclass(frozen=True)
class Scale:
    """Per-series scaling, saved with the model: values are centred on ``mean`` and divided by ``value_scale``;
    changes and the forecast offsets (value h steps ahead minus the base forecast of it) are divided by
    ``delta_scale``. ``base_season`` is the period of the seasonal difference input; the base forecast is the
    mean of the seasonal-naive forecasts with the periods ``base_lags`` (default: ``base_season``; 1: the last
    value) and ``base_bias`` is its median error per horizon step on the training part (delta_scale units).
    The forecast offsets are ``base_bias + blend x (model offsets - base_bias)``: ``blend`` 0 is the
    bias-corrected base alone. ``interval_pad`` widens the 80% interval on each side per horizon step
    (delta_scale units); blend and pads are chosen on the validation part. ``floor``: forecasts never go below
    it (0 for a series that never went negative in training, such as irradiance or counts).
    ``vol_window`` > 0 makes the intervals locally adaptive (normalised conformal prediction, Lei et al. 2018):
    at each origin the 80% interval's distances from the median are multiplied by ``volatility`` over the
    last ``vol_window`` values divided by ``vol_ref``, its mean over the training part; 0: not scaled."""

    mean: float
    value_scale: float
    delta_scale: float
    base_season: int = 1
    interval_pad: tuple[float, ...] = (0.0,)
    base_lags: tuple[int, ...] = ()
    base_bias: tuple[float, ...] = (0.0,)
    blend: float = 1.0
    floor: float | None = None
    vol_window: int = 0
    vol_ref: float = 0.0

    def __post_init__(self) -> None:
        for name in ("interval_pad", "base_bias"):
            object.__setattr__(self, name, tuple(float(p) for p in np.atleast_1d(getattr(self, name))))
        object.__setattr__(self, "base_lags", tuple(int(m) for m in self.base_lags) or (int(self.base_season),))

    @classmethod
    def from_dict(cls, saved: dict[str, Any]) -> "Scale":
        """The saved scaling (config.json); keys added later default as above."""
        return cls(**{name: saved[name] for name in cls.__dataclass_fields__ if name in saved})

    @property
    def memory(self) -> int:
        """How many recent values the base forecast and the seasonal difference look back."""
        return max(*self.base_lags, self.base_season, 1)

    def pads(self, horizon: int) -> np.ndarray:
        """(horizon,) interval pads: per step, or one for every step."""
        return per_step(self.interval_pad, horizon)

    def bias(self, horizon: int) -> np.ndarray:
        return per_step(self.base_bias, horizon)

    def volatility_ratio(self, values: np.ndarray, at: np.ndarray) -> np.ndarray:
        """(len(at),) how volatile the series is before each origin relative to its training part (ones when
        not scaled, or before a whole season), at least MIN_RATIO so that a flat stretch keeps an interval."""
        if self.vol_window <= 0 or self.vol_ref <= 0:
            return np.ones(len(np.atleast_1d(at)))
        ratio = volatility(values, at, self.base_season, self.vol_window) / self.vol_ref
        return np.where(np.isfinite(ratio), np.maximum(ratio, MIN_RATIO), 1.0)

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "interval_pad": list(self.interval_pad), "base_lags": list(self.base_lags),
                "base_bias": list(self.base_bias)}


def per_step(values: tuple[float, ...], horizon: int) -> np.ndarray:
    """(horizon,) from one value per step; fewer values (one, or a shorter horizon's) repeat the last."""
    array = np.asarray(values, float)
    return np.concatenate([array, np.full(max(horizon - array.size, 0), array[-1])])[:horizon]


MIN_SCALE = 1e-6  # a constant series scales by this instead of dividing by zero
MIN_RATIO = 0.1   # narrowest local-volatility ratio: the interval never shrinks below a tenth of its usual width


def seasonal_changes(values: np.ndarray, season: int) -> np.ndarray:
    """(n,) |value[i] - value[i - season]|, NaN for the first ``season`` values (no season before them)."""
    values = np.asarray(values, float)
    changes = np.full(len(values), np.nan)
    changes[season:] = np.abs(values[season:] - values[:-season])
    return changes


def volatility(values: np.ndarray, at: np.ndarray, season: int, window: int) -> np.ndarray:
    """(len(at),) the mean absolute seasonal difference over the last ``window`` values up to each origin (those
    with a season before them; NaN where there are none): the local error scale."""
    changes = seasonal_changes(values, season)
    known = np.isfinite(changes)
    total = np.concatenate([[0.0], np.cumsum(np.where(known, changes, 0.0))])
    count = np.concatenate([[0], np.cumsum(known)])
    end = np.atleast_1d(np.asarray(at)) + 1
    start = np.maximum(end - window, 0)
    seen = count[end] - count[start]
    return np.where(seen > 0, (total[end] - total[start]) / np.maximum(seen, 1), np.nan)


# Seasons averaged by the multi-season base (a week of days for hourly irradiance: a clear-sky-like profile).
PROFILE_SEASONS = 7


def base_candidates(season: int, length: int, horizon: int) -> list[tuple[int, ...]]:
    """Base forecasts fit_scale chooses from: naive; seasonal naive; for a cycle of at least 3 steps the mean
    of seasonal naive at the period and its two neighbours (a cycle whose length drifts, as the ~11-year
    solar cycle does, is followed better by the smoothed repeat); and the mean of the last PROFILE_SEASONS
    seasons at the same phase (a typical-day profile, less noisy than one day)."""
    candidates = [(1,)]
    if 1 < season < length - horizon:
        candidates.append((season,))
        if season >= 3 and season + 1 < length - horizon:
            candidates.append((season - 1, season, season + 1))
        if season >= horizon and PROFILE_SEASONS * season < (length - horizon) // 2:
            candidates.append(tuple(season * k for k in range(1, PROFILE_SEASONS + 1)))
    return candidates


def fit_scale(values: np.ndarray, horizon: int, season: int = 1, vol_window: int = 0) -> Scale:
    """Scaling from a series' training part: the base forecast is the candidate (base_candidates) with the
    smallest mean absolute ``horizon``-step error there; ``delta_scale`` is the spread of that error and
    ``base_bias`` its median per step over the second half (recent drift, as the naive baselines use);
    ``vol_ref`` the mean absolute change over the base season there, for intervals scaled over ``vol_window``."""
    if len(values) <= horizon + 1:
        return Scale(float(np.mean(values)), max(float(np.std(values)), MIN_SCALE), 1.0, 1)
    candidates = base_candidates(season, len(values), horizon)
    # Only origins a whole (longest) period in count (before that the base falls back to naive).
    first = max(max(lags) for lags in candidates) - 1
    errors = {lags: offsets(values, Scale(0.0, 1.0, 1.0, max(season, 1), base_lags=lags), horizon)[first:]
              for lags in candidates}
    best = min(candidates, key=lambda lags: float(np.mean(np.abs(errors[lags]))))
    delta_scale = max(float(np.std(errors[best])), MIN_SCALE)
    recent = errors[best][len(errors[best]) // 2:]
    base_season = 1 if best == (1,) else season
    changes = seasonal_changes(values, base_season)
    return Scale(float(np.mean(values)), max(float(np.std(values)), MIN_SCALE), delta_scale,
                 base_season, base_lags=best,
                 base_bias=tuple(np.median(recent, axis=0) / delta_scale),
                 floor=0.0 if np.min(values) >= 0 else None, vol_window=vol_window,
                 vol_ref=float(np.nanmean(changes)) if np.isfinite(changes).any() else 0.0)


def calendar_features(times: np.ndarray) -> np.ndarray:
    """(n, 6) sin/cos of the time of day, day of week (1970-01-01 was a Thursday) and day of year."""
    seconds = (times - np.datetime64("1970-01-01T00:00", "s")) / np.timedelta64(1, "s")
    days = seconds / SECONDS_PER_DAY
    year_start = times.astype("datetime64[Y]").astype("datetime64[s]")
    day_of_year = (times - year_start) / np.timedelta64(1, "s") / SECONDS_PER_DAY
    angles = [2 * np.pi * (days % 1.0), 2 * np.pi * (days % DAYS_PER_WEEK) / DAYS_PER_WEEK,
              2 * np.pi * day_of_year / DAYS_PER_YEAR]
    return np.stack([f(a) for a in angles for f in (np.sin, np.cos)], axis=1).astype(np.float32)


def features(values: np.ndarray, times: np.ndarray, scale: Scale) -> np.ndarray:
    """(n, FEATURES) model inputs: centred value, first difference (0 at the start) and the calendar."""
    level = (values - scale.mean) / scale.value_scale
    change = np.diff(values, prepend=values[0]) / scale.delta_scale
    seasonal = np.zeros_like(values)
    seasonal[scale.base_season:] = (values[scale.base_season:] - values[:-scale.base_season]) / scale.delta_scale
    columns = np.stack([level, change, seasonal], axis=1).clip(-INPUT_CLIP, INPUT_CLIP)
    return np.concatenate([columns.astype(np.float32), calendar_features(times)], axis=1)


def seasonal_naive_forecast(values: np.ndarray, at: np.ndarray, horizon: int, season: int) -> np.ndarray:
    """(len(at), horizon) seasonal-naive forecasts from each origin: the value whole seasons before each
    step, or the origin's own value where the history is shorter than a season."""
    steps = np.arange(1, horizon + 1)
    back = season * np.ceil(steps / season).astype(int) if season > 1 else steps
    index = np.asarray(at)[:, None] + steps[None, :] - back[None, :]
    return np.where(index >= 0, values[np.maximum(index, 0)], values[np.asarray(at)][:, None])


def base_forecast(values: np.ndarray, at: np.ndarray, horizon: int, lags: tuple[int, ...]) -> np.ndarray:
    """(len(at), horizon) base forecasts: the mean of the seasonal-naive forecasts with the periods ``lags``."""
    return np.mean([seasonal_naive_forecast(values, at, horizon, lag) for lag in lags], axis=0)


def offsets(values: np.ndarray, scale: Scale, horizon: int) -> np.ndarray:
    """(n - horizon, horizon) targets: value[t + h] minus its base forecast from t, in delta_scale units."""
    at = np.arange(len(values) - horizon)
    index = at[:, None] + np.arange(1, horizon + 1)[None, :]
    base = base_forecast(values, at, horizon, scale.base_lags)
    return ((values[index] - base) / scale.delta_scale).astype(np.float32)


# --------------------------------------------------------------------------- splits and windows
def test_start(length: int, horizon: int) -> int:
    """First index of the held-out end of a series (at least one horizon long)."""
    return length - max(int(round(length * TEST_FRACTION)), horizon + 1)


def validation_start(length: int, horizon: int) -> int:
    """First index of the validation part just before the held-out end: the model does not train on it;
    its intervals are calibrated there."""
    end = test_start(length, horizon)
    return end - max(int(round(length * VALIDATION_FRACTION)), horizon + 1)


def validation_origins(length: int, horizon: int, context: int, count: int) -> np.ndarray:
    """Origins in the validation part (after a whole context), up to ``count`` evenly spaced; their horizons
    may run past its end, where ``validation_actual`` masks them, so a short series still gets many."""
    first = max(validation_start(length, horizon) - 1, context - 1)
    last = test_start(length, horizon) - 2
    if last < first:
        return np.zeros(0, int)
    return np.unique(np.linspace(first, last, min(count, last - first + 1)).round().astype(int))


def validation_actual(values: np.ndarray, at: np.ndarray, horizon: int) -> np.ndarray:
    """(len(at), horizon) what followed each validation origin, NaN from the held-out part on (never read)."""
    end = test_start(len(values), horizon)
    index = np.asarray(at)[:, None] + np.arange(1, horizon + 1)[None, :]
    return np.where(index < end, values[np.minimum(index, end - 1)], np.nan)


def origins(length: int, horizon: int, context: int, count: int) -> np.ndarray:
    """Rolling forecast origins (index of the last observed value) in the held-out part, evenly spaced,
    each followed by a whole horizon and preceded by a whole context."""
    first = max(test_start(length, horizon) - 1, context - 1)
    last = length - horizon - 1
    if last < first:
        return np.zeros(0, int)
    return np.unique(np.linspace(first, last, min(count, last - first + 1)).round().astype(int))


def window_starts(limit: int, window: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random starts of ``window``-long windows inside the first ``limit`` values."""
    if limit < window:
        return np.zeros(0, int)
    return rng.integers(0, limit - window + 1, size=count)


def training_windows(series: Series, scale: Scale, context: int, horizon: int, count: int,
                     rng: np.random.Generator, limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(count, context, FEATURES) inputs and (count, context, horizon) targets from the training part:
    every step of a window is trained to forecast the horizon after it (forking sequences, MQ-RNN)."""
    limit = test_start(len(series), horizon) if limit is None else limit
    starts = window_starts(limit, context + horizon, count, rng)
    inputs = features(series.values, series.times, scale)
    targets = offsets(series.values, scale, horizon)
    index = starts[:, None] + np.arange(context)[None, :]
    return inputs[index], targets[index]


def context_inputs(series: Series, scale: Scale, context: int, at: np.ndarray) -> np.ndarray:
    """(len(at), context, FEATURES): the ``context`` steps ending at each origin index."""
    inputs = features(series.values, series.times, scale)
    index = np.asarray(at)[:, None] - np.arange(context - 1, -1, -1)[None, :]
    return inputs[index]


__all__ = ["BUNDLED", "FEATURES", "Scale", "Series", "context_inputs", "features", "fit_scale", "future_times",
           "load_all", "load_bundled", "load_source", "offsets", "origins", "read_csv", "test_start",
           "training_windows"]
