"""The simulator: challenge format, missingness, label semantics, determinism, a distinct second hospital."""
import hashlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from apps.vitals.news2 import news2_alerts, news2_scores
from apps.vitals.psv import ALL_COLUMNS, mask_impossible, read_folder
from apps.vitals.simulate import LABEL_LEAD_HOURS, simulate_cohort
from apps.vitals.utility import hourly_auroc
from suite.app import main

PATIENTS = 400


@pytest.fixture(scope="module")
def cohorts():
    stays = {setting: simulate_cohort(PATIENTS, 7, setting) for setting in ("hospital_a", "hospital_b")}
    for group in stays.values():
        for stay in group:
            mask_impossible(stay.values)
    return stays


def test_cli_writes_challenge_psv_files(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main("vitals", ["simulate", "--out", str(out), "--patients", "12", "--seed", "3"]) == 0
    files = sorted(out.glob("*.psv"))
    assert [f.name for f in files][:2] == ["p000001.psv", "p000002.psv"] and len(files) == 12
    lines = files[0].read_text().splitlines()
    assert lines[0] == "|".join(ALL_COLUMNS)
    assert all(len(line.split("|")) == 41 for line in lines)
    stays = read_folder(out, require_labels=True)
    assert len(stays) == 12
    for stay in stays:
        np.testing.assert_array_equal(stay.column("ICULOS"), np.arange(1, stay.hours + 1))
    manifest = json.loads((out / "simulation.json").read_text())
    assert manifest["patients"] == 12 and manifest["seed"] == 3 and manifest["setting"] == "hospital_a"
    assert "wrote 12 stays" in capsys.readouterr().out


def test_same_seed_same_bytes_and_cohorts_nest(tmp_path):
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, seed in ((first, 5), (second, 5), (other, 6)):
        assert main("vitals", ["simulate", "--out", str(out), "--patients", "6", "--seed", str(seed)]) == 0
    assert (first / "p000004.psv").read_bytes() == (second / "p000004.psv").read_bytes()
    assert (first / "p000004.psv").read_bytes() != (other / "p000004.psv").read_bytes()
    small, large = simulate_cohort(3, 5), simulate_cohort(6, 5)
    np.testing.assert_array_equal(small[2].values, large[2].values)


def test_bad_options_exit_2_and_write_nothing(tmp_path, capsys):
    assert main("vitals", ["simulate", "--out", str(tmp_path / "x"), "--patients", "0"]) == 2
    assert "--patients" in capsys.readouterr().err and not (tmp_path / "x").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    assert main("vitals", ["simulate", "--out", str(foreign), "--patients", "2"]) == 2
    assert "refusing to overwrite" in capsys.readouterr().err
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"]
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp leftovers


def test_missingness_is_about_seventy_percent(cohorts):
    a = np.isnan(np.concatenate([stay.values for stay in cohorts["hospital_a"]]))
    b = np.isnan(np.concatenate([stay.values for stay in cohorts["hospital_b"]]))
    assert 0.64 < a.mean() < 0.76 and 0.64 < b.mean() < 0.78
    assert a[:, 0].mean() < 0.3          # heart rate is charted most hours
    assert a[:, 8:34].mean() > 0.85      # labs are sparse
    assert b.mean() > a.mean()           # the second hospital measures less often


def test_label_semantics(cohorts):
    for stays in cohorts.values():
        septic = [stay for stay in stays if stay.labels.any()]
        assert 0.04 < len(septic) / len(stays) < 0.2
        for stay in stays:
            labels = stay.labels
            first = int(np.argmax(labels)) if labels.any() else stay.hours
            # 0 ... 0 then 1 ... 1 to the end: once labelled, always labelled
            np.testing.assert_array_equal(labels, (np.arange(stay.hours) >= first).astype(np.int8))
        for stay in septic:
            assert stay.labels[0] == 0
            assert stay.labels.sum() >= LABEL_LEAD_HOURS + 4   # onset is at least 4 h before the stay ends


def test_news2_fires_on_non_septic_patients_and_is_informative(cohorts):
    for stays in cohorts.values():
        non_septic = [stay for stay in stays if not stay.labels.any()]
        firing = np.mean([news2_alerts(stay).any() for stay in non_septic])
        assert firing > 0.25
        auroc = hourly_auroc([stay.labels for stay in stays], [news2_scores(stay) for stay in stays])
        assert 0.6 < auroc < 0.9   # informative, but far from perfect


def test_second_hospital_differs(cohorts):
    a, b = cohorts["hospital_a"], cohorts["hospital_b"]
    assert b[0].name.startswith("p1") and a[0].name.startswith("p0")
    prevalence = [np.mean([stay.labels.any() for stay in group]) for group in (a, b)]
    assert prevalence[1] < prevalence[0]
    mean_age = [np.mean([stay.column("Age")[0] for stay in group]) for group in (a, b)]
    assert mean_age[1] > mean_age[0] + 2
    units_missing = [np.mean([np.isnan(stay.column("Unit1")[0]) for stay in group]) for group in (a, b)]
    assert units_missing[0] == 0.0 and units_missing[1] > 0.2


def test_same_seed_same_stays_in_another_process():
    """No iteration over sets or dicts of strings may order random draws (PYTHONHASHSEED varies per process)."""
    from apps.vitals.psv import format_psv

    script = ("import hashlib; from apps.vitals.simulate import simulate_cohort; from apps.vitals.psv import format_psv; "
              "print(hashlib.md5(''.join(format_psv(s) for s in simulate_cohort(30, 5)).encode()).hexdigest())")
    here = hashlib.md5("".join(format_psv(stay) for stay in simulate_cohort(30, 5)).encode()).hexdigest()
    for hash_seed in ("1", "2"):
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                                env={**os.environ, "PYTHONHASHSEED": hash_seed})
        assert result.stdout.strip() == here
