"""PhysioNet/CinC 2019 challenge PSV files: one pipe-separated file per ICU stay, one row per hour.

Reading is strict about the things that make a file unusable (missing columns, wrong delimiter,
text in numeric cells, no rows), each reported as a ``UserError`` naming the file and the problem,
and lenient about single impossible values (HR 900, Temp 80), which become NaN with a warning
that counts them, because real bedside data contains such artefacts.
"""
from __future__ import annotations

import math
import os
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from suite.atomic import atomic_path
from suite.errors import UserError

VITAL_COLUMNS = ("HR", "O2Sat", "Temp", "SBP", "MAP", "DBP", "Resp", "EtCO2")
LAB_COLUMNS = (
    "BaseExcess", "HCO3", "FiO2", "pH", "PaCO2", "SaO2", "AST", "BUN", "Alkalinephos", "Calcium",
    "Chloride", "Creatinine", "Bilirubin_direct", "Glucose", "Lactate", "Magnesium", "Phosphate",
    "Potassium", "Bilirubin_total", "TroponinI", "Hct", "Hgb", "PTT", "WBC", "Fibrinogen", "Platelets",
)
DEMOGRAPHIC_COLUMNS = ("Age", "Gender", "Unit1", "Unit2", "HospAdmTime", "ICULOS")
LABEL_COLUMN = "SepsisLabel"
# The 40 input columns in the challenge's order; the label is the 41st.
FEATURE_COLUMNS = VITAL_COLUMNS + LAB_COLUMNS + DEMOGRAPHIC_COLUMNS
ALL_COLUMNS = FEATURE_COLUMNS + (LABEL_COLUMN,)
MEASUREMENT_COLUMNS = VITAL_COLUMNS + LAB_COLUMNS
COLUMN_INDEX = {name: i for i, name in enumerate(FEATURE_COLUMNS)}

DELIMITER = "|"
MISSING_TEXT = "NaN"
# Delimiters people mistakenly export instead of the pipe, named in the error message.
WRONG_DELIMITERS = {",": "comma", "\t": "tab", ";": "semicolon"}

# Inclusive [low, high] ranges outside which a value is physiologically impossible (a unit mix-up
# or a device artefact), not merely abnormal. Deliberately wide: extreme but survivable values
# (HR 250, lactate 25) are kept; only values no living patient has are dropped.
PLAUSIBLE_RANGES: dict[str, tuple[float, float]] = {
    "HR": (0, 300),             # beats/min
    "O2Sat": (0, 100),          # % (pulse oximetry)
    "Temp": (20, 46),           # deg C; 80 or 98.6 means Fahrenheit slipped in
    "SBP": (10, 350),           # mmHg
    "MAP": (5, 300),            # mmHg
    "DBP": (5, 300),            # mmHg
    "Resp": (0, 100),           # breaths/min
    "EtCO2": (0, 150),          # mmHg
    "BaseExcess": (-50, 50),    # mmol/L
    "HCO3": (0, 80),            # mmol/L
    "FiO2": (0.1, 1),           # fraction (0.21 = room air)
    "pH": (6.3, 8.0),
    "PaCO2": (5, 200),          # mmHg
    "SaO2": (0, 100),           # %
    "AST": (0, 30000),          # IU/L
    "BUN": (0, 300),            # mg/dL
    "Alkalinephos": (0, 6000),  # IU/L
    "Calcium": (0, 30),         # mg/dL
    "Chloride": (40, 200),      # mmol/L
    "Creatinine": (0, 50),      # mg/dL
    "Bilirubin_direct": (0, 60),   # mg/dL
    "Glucose": (5, 3000),       # mg/dL
    "Lactate": (0, 40),         # mmol/L
    "Magnesium": (0, 20),       # mmol/dL
    "Phosphate": (0, 30),       # mg/dL
    "Potassium": (0.5, 15),     # mmol/L
    "Bilirubin_total": (0, 80),    # mg/dL
    "TroponinI": (0, 500),      # ng/mL
    "Hct": (5, 80),             # %
    "Hgb": (1, 30),             # g/dL
    "PTT": (5, 300),            # seconds
    "WBC": (0, 500),            # 10^3/uL
    "Fibrinogen": (10, 2500),   # mg/dL
    "Platelets": (0, 3000),     # 10^3/uL
    "Age": (0, 120),            # years
    "Gender": (0, 1),           # 0 female, 1 male
    "Unit1": (0, 1),            # MICU
    "Unit2": (0, 1),            # SICU
}


class ImpossibleValueWarning(UserWarning):
    """Physiologically impossible values were read and replaced by NaN."""


@dataclass
class Stay:
    """One ICU stay: ``values`` is (hours, 40) in ``FEATURE_COLUMNS`` order, NaN where missing.

    ``labels`` is the hourly SepsisLabel (0/1 int8), or None for files without the column.
    ``impossible`` counts, per column, values that were dropped as physiologically impossible.
    """

    name: str
    values: np.ndarray
    labels: np.ndarray | None = None
    impossible: dict[str, int] = field(default_factory=dict)

    @property
    def hours(self) -> int:
        return int(self.values.shape[0])

    def column(self, name: str) -> np.ndarray:
        return self.values[:, COLUMN_INDEX[name]]


def read_psv(path: str | os.PathLike, warn: bool = True) -> Stay:
    """Read one challenge PSV file; raise ``UserError`` naming the file and the problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UserError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise UserError(f"{path}: is a folder, expected a .psv file") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file (not UTF-8)") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise UserError(f"{path}: empty file")
    header = _parse_header(path, lines[0])
    if len(lines) == 1:
        raise UserError(f"{path}: no data rows after the header")
    table = _parse_rows(path, lines[1:], header)
    values = np.full((table.shape[0], len(FEATURE_COLUMNS)), np.nan)
    for target, name in enumerate(FEATURE_COLUMNS):
        values[:, target] = table[:, header.index(name)]
    labels = _parse_labels(path, table, header)
    impossible = mask_impossible(values)
    if warn and impossible:
        warnings.warn(f"{path}: {describe_impossible(impossible)}", ImpossibleValueWarning, stacklevel=2)
    return Stay(name=path.stem, values=values, labels=labels, impossible=impossible)


def read_folder(folder: str | os.PathLike, require_labels: bool = False) -> list[Stay]:
    """Read every ``*.psv`` in a folder (sorted by name), with one warning for all impossible values."""
    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: not a folder")
    paths = sorted(folder.glob("*.psv"))
    if not paths:
        raise UserError(f"{folder}: no .psv files")
    stays = [read_psv(path, warn=False) for path in paths]
    if require_labels:
        unlabelled = [path.name for path, stay in zip(paths, stays) if stay.labels is None]
        if unlabelled:
            raise UserError(f"{folder / unlabelled[0]}: no {LABEL_COLUMN} column "
                            f"({len(unlabelled)} unlabelled files); labels are needed here")
    totals = total_impossible(stays)
    if totals:
        affected = sum(1 for stay in stays if stay.impossible)
        warnings.warn(f"{folder}: {describe_impossible(totals)} in {affected} of {len(stays)} files",
                      ImpossibleValueWarning, stacklevel=2)
    return stays


def read_paths(paths: Sequence[str | os.PathLike]) -> list[Stay]:
    """Read files and folders given on a command line, in the given order."""
    stays: list[Stay] = []
    for path in paths:
        if Path(path).is_dir():
            stays.extend(read_folder(path))
        else:
            stays.append(read_psv(path))
    return stays


def write_psv(path: str | os.PathLike, stay: Stay) -> None:
    """Write a stay in the challenge format (atomically); the label column only if ``stay.labels``."""
    with atomic_path(path) as tmp:
        tmp.write_text(format_psv(stay), encoding="utf-8")


def format_psv(stay: Stay) -> str:
    """The PSV text of a stay: header plus one pipe-separated row per hour, ``NaN`` for missing."""
    columns = FEATURE_COLUMNS + ((LABEL_COLUMN,) if stay.labels is not None else ())
    lines = [DELIMITER.join(columns)]
    for hour in range(stay.hours):
        cells = [format_value(value) for value in stay.values[hour]]
        if stay.labels is not None:
            cells.append(str(int(stay.labels[hour])))
        lines.append(DELIMITER.join(cells))
    return "\n".join(lines) + "\n"


def format_value(value: float) -> str:
    """Compact number text as in the challenge files: ``97``, ``36.11``, ``-0.03``, ``NaN``."""
    if math.isnan(value):
        return MISSING_TEXT
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def mask_impossible(values: np.ndarray) -> dict[str, int]:
    """Set out-of-range cells of a (hours, 40) array to NaN in place; return counts per column."""
    counts: dict[str, int] = {}
    for name, (low, high) in PLAUSIBLE_RANGES.items():
        column = values[:, COLUMN_INDEX[name]]
        with np.errstate(invalid="ignore"):
            bad = (column < low) | (column > high)
        if bad.any():
            counts[name] = int(bad.sum())
            column[bad] = np.nan
    return counts


def total_impossible(stays: Sequence[Stay]) -> dict[str, int]:
    """Impossible-value counts per column summed over stays."""
    totals: dict[str, int] = {}
    for stay in stays:
        for name, count in stay.impossible.items():
            totals[name] = totals.get(name, 0) + count
    return totals


def describe_impossible(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    detail = ", ".join(f"{name} {count}" for name, count in sorted(counts.items(), key=lambda item: -item[1]))
    return f"{total} physiologically impossible values treated as missing ({detail})"


def _parse_header(path: Path, line: str) -> list[str]:
    if DELIMITER not in line:
        for delimiter, name in WRONG_DELIMITERS.items():
            if delimiter in line:
                raise UserError(f"{path}: wrong delimiter: the header is {name}-separated, "
                                f"expected pipe-separated ('|') PSV")
    header = [name.strip() for name in line.split(DELIMITER)]
    missing = [name for name in FEATURE_COLUMNS if name not in header]
    if missing:
        raise UserError(f"{path}: missing columns: {', '.join(missing)}")
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        raise UserError(f"{path}: duplicated columns: {', '.join(duplicated)}")
    return header


def _parse_rows(path: Path, lines: list[str], header: list[str]) -> np.ndarray:
    rows = [line.split(DELIMITER) for line in lines]
    for row, cells in enumerate(rows):
        if len(cells) != len(header):
            raise UserError(f"{path}: line {row + 2} has {len(cells)} fields, the header has {len(header)}")
    try:  # fast path for well-formed files; the cell-by-cell path below finds the culprit
        table = np.array(rows, dtype=np.str_).astype(np.float64)
        if np.isfinite(table[~np.isnan(table)]).all():
            return table
    except ValueError:
        pass
    table = np.empty((len(rows), len(header)))
    for row, cells in enumerate(rows):
        for col, cell in enumerate(cells):
            table[row, col] = _parse_cell(path, cell, row + 2, header[col])  # line numbers are 1-based
    return table


def _parse_cell(path: Path, cell: str, line_number: int, column: str) -> float:
    cell = cell.strip()
    if cell == "" or cell.lower() == "nan":
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise UserError(f"{path}: line {line_number}, column {column}: non-numeric value {cell!r}") from None
    if math.isinf(value):
        raise UserError(f"{path}: line {line_number}, column {column}: infinite value {cell!r}")
    return value


def _parse_labels(path: Path, table: np.ndarray, header: list[str]) -> np.ndarray | None:
    if LABEL_COLUMN not in header:
        return None
    labels = table[:, header.index(LABEL_COLUMN)]
    bad = ~np.isin(labels, (0.0, 1.0))
    if bad.any():
        line_number = int(np.argmax(bad)) + 2
        raise UserError(f"{path}: line {line_number}, column {LABEL_COLUMN}: expected 0 or 1, got {labels[bad][0]}")
    return labels.astype(np.int8)
