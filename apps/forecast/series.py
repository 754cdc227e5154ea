"""A regular time series (timestamps, values, seasonal period) and a user's CSV file read into them.

A CSV has a time column (the first column, or one named time/date/datetime/timestamp) and one or more
value columns. Every problem is a one-line ``UserError`` naming the file: a missing column, an
unparsable time or value, an empty cell or a skipped timestamp (a gap), unequal steps (irregular
timestamps), times not increasing, or too few rows.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass

import numpy as np

from suite.errors import UserError

TIME_COLUMN_NAMES = ("time", "date", "datetime", "timestamp", "ds")
# Seasonal period by sampling step (seconds): the cycle a seasonal-naive forecast repeats.
SEASON_BY_STEP = {300: 288, 900: 96, 1800: 48, 3600: 24, 86400: 7, 7 * 86400: 52}
MONTH_SECONDS = (28 * 86400, 31 * 86400)
QUARTER_SECONDS = (89 * 86400, 92 * 86400)
YEAR_SECONDS = (365 * 86400, 366 * 86400)


@dataclass(frozen=True)
class Series:
    """One regularly sampled series: ``times`` (datetime64[s]) and ``values`` (float64) of equal length."""

    name: str
    times: np.ndarray
    values: np.ndarray
    season: int                 # seasonal period in steps (1: none)
    unit: str = ""
    source: str = ""

    def __len__(self) -> int:
        return len(self.values)

    @property
    def step(self) -> np.timedelta64:
        """The sampling step (irregular calendar steps such as months are the first step)."""
        return self.times[1] - self.times[0]

    def future_times(self, horizon: int) -> np.ndarray:
        """The ``horizon`` timestamps after the last one."""
        return future_times(self.times, horizon)


def future_times(times: np.ndarray, horizon: int) -> np.ndarray:
    """Continue ``times`` by ``horizon`` steps: calendar months and years stay on their day."""
    seconds = _step_seconds(times)
    if _within(seconds, MONTH_SECONDS) or _within(seconds, QUARTER_SECONDS) or _within(seconds, YEAR_SECONDS):
        months = _months_per_step(seconds)
        last = times[-1].astype("datetime64[M]")
        offset = times[-1] - last.astype("datetime64[s]")
        return np.array([(last + months * (i + 1)).astype("datetime64[s]") + offset for i in range(horizon)])
    return times[-1] + np.arange(1, horizon + 1) * np.timedelta64(int(seconds), "s")


def _months_per_step(seconds: float) -> int:
    if _within(seconds, MONTH_SECONDS):
        return 1
    return 3 if _within(seconds, QUARTER_SECONDS) else 12


def _within(value: float, bounds: tuple[int, int]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _step_seconds(times: np.ndarray) -> float:
    return float((times[1] - times[0]) / np.timedelta64(1, "s"))


def season_of(times: np.ndarray) -> int:
    """The seasonal period implied by the sampling step (1 when the step has no usual cycle)."""
    seconds = _step_seconds(times)
    if _within(seconds, MONTH_SECONDS):
        return 12
    if _within(seconds, QUARTER_SECONDS):
        return 4
    return SEASON_BY_STEP.get(int(seconds), 1)


# --------------------------------------------------------------------------- user CSV files
def read_csv(path: str | os.PathLike, columns: list[str] | None = None, min_rows: int = 3) -> list[Series]:
    """Every value column of ``path`` (or the named ``columns``) as a Series; bad input is a UserError."""
    header, rows = _read_rows(path)
    time_index = _time_column(header)
    wanted = columns or [name for i, name in enumerate(header) if i != time_index]
    missing = [name for name in wanted if name not in header]
    if missing:
        raise UserError(f"{path}: no column {missing[0]!r} (columns: {', '.join(header)})")
    if not wanted:
        raise UserError(f"{path}: no value column besides the time column {header[time_index]!r}")
    if len(rows) < min_rows:
        raise UserError(f"{path}: {len(rows)} rows; at least {min_rows} are needed")
    times = _parse_times(path, [row[time_index] for row in rows], first_line=2)
    check_regular(path, times)
    return [Series(name, times, _parse_values(path, rows, header.index(name), name), season_of(times),
                   source=str(path)) for name in wanted]


def _read_rows(path: str | os.PathLike) -> tuple[list[str], list[list[str]]]:
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            table = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserError(f"{path}: not a readable CSV file ({type(error).__name__})") from None
    if not table:
        raise UserError(f"{path}: empty file")
    header = [cell.strip() for cell in table[0]]
    for number, row in enumerate(table[1:], start=2):
        if len(row) != len(header):
            raise UserError(f"{path}: line {number} has {len(row)} fields, the header has {len(header)}")
    return header, table[1:]


def _time_column(header: list[str]) -> int:
    for index, name in enumerate(header):
        if name.lower() in TIME_COLUMN_NAMES:
            return index
    return 0


def _parse_times(path: str | os.PathLike, cells: list[str], first_line: int) -> np.ndarray:
    times = []
    for number, cell in enumerate(cells, start=first_line):
        text = cell.strip().replace("T", " ").rstrip("Z")
        try:
            times.append(np.datetime64(text.replace(" ", "T") if text else "NaT", "s"))
        except ValueError:
            raise UserError(f"{path}: line {number}: time {cell.strip()!r} is not a date/time "
                            "(expected e.g. 2024-01-31 or 2024-01-31 13:30)") from None
        if np.isnat(times[-1]):
            raise UserError(f"{path}: line {number}: empty time")
    return np.array(times, dtype="datetime64[s]")


def check_regular(path: str | os.PathLike, times: np.ndarray) -> None:
    """Times must increase by one step (calendar months/quarters/years count as regular)."""
    steps = np.diff(times) / np.timedelta64(1, "s")
    bad = np.flatnonzero(steps <= 0)
    if bad.size:
        raise UserError(f"{path}: line {bad[0] + 3}: time {times[bad[0] + 1]} does not come after {times[bad[0]]}")
    if _calendar_regular(times):
        return
    base = steps[0]
    if np.all(steps == base):
        return
    odd = int(np.flatnonzero(steps != base)[0])
    ratio = steps[odd] / base
    if ratio > 1 and float(ratio).is_integer():
        raise UserError(f"{path}: gap: {int(ratio) - 1} missing step(s) between {times[odd]} and {times[odd + 1]} "
                        "(fill or interpolate them)")
    raise UserError(f"{path}: irregular timestamps: step {_duration(steps[odd])} at {times[odd + 1]}, "
                    f"but {_duration(base)} before (resample to a regular step)")


def _calendar_regular(times: np.ndarray) -> bool:
    """Monthly, quarterly or yearly series on the same day of the month."""
    seconds = _step_seconds(times)
    if not any(_within(seconds, bounds) for bounds in (MONTH_SECONDS, QUARTER_SECONDS, YEAR_SECONDS)):
        return False
    months = times.astype("datetime64[M]").astype(np.int64)
    return bool(np.all(np.diff(months) == _months_per_step(seconds)))


def _duration(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)} {unit}"
    return f"{seconds:g} s"


def _parse_values(path: str | os.PathLike, rows: list[list[str]], index: int, name: str) -> np.ndarray:
    values = np.empty(len(rows))
    for number, row in enumerate(rows, start=2):
        cell = row[index].strip()
        try:
            values[number - 2] = float(cell) if cell else np.nan
        except ValueError:
            raise UserError(f"{path}: line {number}: column {name!r}: {cell!r} is not a number") from None
        if not np.isfinite(values[number - 2]):
            raise UserError(f"{path}: line {number}: column {name!r} is empty or not finite (a gap; fill it)")
    return values
