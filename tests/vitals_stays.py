"""Test stays for the vitals tests: two septic and two other simulated stays, and a folder of their PSV files."""
from __future__ import annotations

from pathlib import Path

from apps.vitals.data import heldout_cohort
from apps.vitals.psv import Stay, write_psv

SIMULATED = 80     # enough simulated stays to hold two septic ones at the prevalence of hospital_a


def four_stays(seed: int) -> list[Stay]:
    """Two septic then two non-septic stays of a held-out-style cohort with ``seed``."""
    cohort = heldout_cohort("hospital_a", SIMULATED, seed=seed)
    septic = [stay for stay in cohort if stay.labels.any()][:2]
    others = [stay for stay in cohort if not stay.labels.any()][:2]
    assert len(septic) == 2 and len(others) == 2
    return septic + others


def write_stays(folder: Path, stays: list[Stay]) -> Path:
    """``folder/<name>.psv`` for every stay; the folder."""
    for stay in stays:
        write_psv(folder / f"{stay.name}.psv", stay)
    return folder
