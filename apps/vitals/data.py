"""The app's data: simulated cohorts (train, validation, held-out, calibration) and PSV files from a command line.

Every simulated cohort is a pure function of (setting, patients, seed), so a model directory records how
to rebuild its data. The training cohort is written once as PSV files into the app's cache
(``suite.app.cache_dir("vitals")``) and read back, so simulated and real stays pass the same reader.
Held-out and calibration seeds differ from any training seed a preset uses.

PSV files named on a command line are read with one clean warning line for impossible values. Batch
commands (``score``, ``check``) read every file, report each bad one on its own line and go on with the
good ones (``read_batch``); ``train --data`` and ``evaluate`` need every file (``read_stays``).
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from apps.vitals.psv import LABEL_COLUMN, Stay, describe_impossible, mask_impossible, read_psv, total_impossible
from suite.app import cache_dir
from suite.errors import UserError

HELDOUT_SEED = 1001          # held-out stays of both settings (hospital_a and hospital_b)
CALIBRATION_SEED = 2002      # int8 calibration stays
HELDOUT_PATIENTS = 1000      # simulated held-out stays per hospital, by default


# --------------------------------------------------------------------------- simulated cohorts
def training_cohort_dir(setting: str, patients: int, seed: int) -> Path:
    """Where ``prepare-data`` caches (and ``train`` reads) a simulated training cohort."""
    return cache_dir("vitals", f"{setting}-seed{seed}-n{patients}")


def prepare_training_cohort(setting: str, patients: int, seed: int, show_progress: bool = True) -> Path:
    """Simulate a training cohort into the cache unless it is there already; its folder."""
    from apps.vitals.simulate import simulate_cohort, write_cohort

    folder = training_cohort_dir(setting, patients, seed)
    if not folder.is_dir():
        stays = simulate_cohort(patients, seed, setting, show_progress=show_progress)
        write_cohort(folder, stays, cohort_manifest(setting, seed, stays))
    return folder


def cohort_manifest(setting: str, seed: int, stays: Sequence[Stay]) -> dict:
    """What ``simulation.json`` records beside simulated stays: enough to simulate them again."""
    return {"generator": "apps.vitals.simulate", "setting": setting, "seed": seed, "patients": len(stays),
            "septic": sum(int(stay.labels.any()) for stay in stays), "hours": sum(stay.hours for stay in stays)}


def training_cohort(setting: str, patients: int, seed: int, show_progress: bool = True) -> tuple[Path, list[Stay]]:
    """Simulate (once, cached as PSV files) and read a training cohort."""
    folder = prepare_training_cohort(setting, patients, seed, show_progress)
    # Read back, so simulated and real cohorts pass the same reader (impossible values become NaN).
    return folder, [read_psv(path, warn=False) for path in sorted(folder.glob("*.psv"))]


def heldout_cohort(setting: str, patients: int = HELDOUT_PATIENTS, seed: int = HELDOUT_SEED) -> list[Stay]:
    """Held-out stays, simulated in memory (fast: about 2 ms per stay)."""
    from apps.vitals.simulate import simulate_cohort

    stays = simulate_cohort(patients, seed, setting)
    for stay in stays:  # as reading the PSV files would
        stay.impossible = mask_impossible(stay.values)
    return stays


# --------------------------------------------------------------------------- PSV files from a command line
def expand_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given, folders as their sorted ``*.psv`` files."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.psv"))
            if not found:
                raise UserError(f"{path}: no .psv files")
            files.extend(found)
        else:
            files.append(path)
    return files


def read_stays(paths: Sequence[str | os.PathLike], require_labels: bool = False) -> tuple[list[Path], list[Stay]]:
    """Read every file (raising UserError on the first unusable one), then warn once about impossible values."""
    files = expand_paths(paths)
    stays = [read_psv(path, warn=False) for path in files]
    if require_labels:
        unlabelled = [path for path, stay in zip(files, stays) if stay.labels is None]
        if unlabelled:
            raise UserError(f"{unlabelled[0]}: no {LABEL_COLUMN} column ({len(unlabelled)} unlabelled files); "
                            "labels are needed here")
    warn_impossible(stays)
    return files, stays


@dataclass
class Batch:
    """The readable files of a batch command line, and one error line per unreadable one."""

    files: list[Path] = field(default_factory=list)
    stays: list[Stay] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def read_batch(paths: Sequence[str | os.PathLike]) -> Batch:
    """Read every file; each bad file or empty folder is an ``error: ...`` line on stderr, the rest is kept."""
    batch = Batch()
    for path in paths:
        try:
            files = expand_paths([path])
        except UserError as error:
            batch.errors.append(str(error))
            continue
        for file in files:
            try:
                batch.stays.append(read_psv(file, warn=False))
                batch.files.append(file)
            except UserError as error:
                batch.errors.append(str(error))
    for line in batch.errors:
        print(f"error: {line}", file=sys.stderr)
    warn_impossible(batch.stays)
    return batch


def warn_impossible(stays: Sequence[Stay]) -> None:
    """One ``warning:`` line on stderr counting the impossible values dropped, if any."""
    totals = total_impossible(stays)
    if totals:
        affected = sum(1 for stay in stays if stay.impossible)
        print(f"warning: {describe_impossible(totals)} in {affected} of {len(stays)} files", file=sys.stderr)
