"""The simulated cohorts the app trains, validates, calibrates and is held out on.

Every cohort is a pure function of (setting, patients, seed), so a model directory records how to
rebuild its data. Held-out and calibration seeds differ from any training seed a preset uses.
"""
from __future__ import annotations

import os
from pathlib import Path

from apps.vitals.psv import Stay, mask_impossible, read_psv
from apps.vitals.simulate import simulate_cohort, write_cohort

CACHE_ENV = "RNN_SUITE_CACHE"
HELDOUT_SEED = 1001          # held-out stays of both settings (hospital_a and hospital_b)
CALIBRATION_SEED = 2002      # int8 calibration stays
HELDOUT_PATIENTS = 1000


def cache_dir() -> Path:
    """$RNN_SUITE_CACHE/vitals, else ~/.cache/rnn-suite/vitals."""
    base = os.environ.get(CACHE_ENV)
    return (Path(base) if base else Path.home() / ".cache" / "rnn-suite") / "vitals"


def training_cohort(setting: str, patients: int, seed: int) -> tuple[Path, list[Stay]]:
    """Simulate (once, cached as PSV files) and read a training cohort."""
    folder = cache_dir() / f"{setting}-seed{seed}-n{patients}"
    if not folder.is_dir():
        stays = simulate_cohort(patients, seed, setting, show_progress=True)
        manifest = {"generator": "apps.vitals.simulate", "setting": setting, "seed": seed, "patients": patients}
        write_cohort(folder, stays, manifest)
    # Read back, so simulated and real cohorts pass the same reader (impossible values become NaN).
    return folder, [read_psv(path, warn=False) for path in sorted(folder.glob("*.psv"))]


def heldout_cohort(setting: str, patients: int = HELDOUT_PATIENTS, seed: int = HELDOUT_SEED) -> list[Stay]:
    """Held-out stays, simulated in memory (fast: about 2 ms per stay)."""
    stays = simulate_cohort(patients, seed, setting)
    for stay in stays:  # as reading the PSV files would
        stay.impossible = mask_impossible(stay.values)
    return stays
