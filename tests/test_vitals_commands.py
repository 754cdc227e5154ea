"""The vitals commands on the shipped model: without TensorFlow from any folder, wrong-kind inputs, batches.

The inference commands run the shipped ``step_int8`` files as subprocesses from a temporary folder with
TensorFlow and Keras unimportable (as on a Raspberry Pi); their risks are checked against the shipped
Keras model, their NEWS2 against the NEWS2 module.
"""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from apps.vitals.metrics import side_by_side
from apps.vitals.news2 import news2_scores
from suite.app import main, shipped_model_dir
from tests.vitals_stays import four_stays, write_stays

SHIPPED = shipped_model_dir("vitals")
TEST_SEED = 78            # neither the training seed (1), the held-out (1001) nor the calibration seed (2002)
INT8_RISK_TOLERANCE = 0.06   # int8 step model against the float Keras model, per hour (risk is 0..1)
MIN_ALERT_AGREEMENT = 0.95   # share of hours where the int8 and Keras alerts agree
HEAVY_MODULES = ("tensorflow", "keras", "sklearn", "matplotlib", "ai_edge_litert", "onnxruntime")


@pytest.fixture(scope="module")
def stays():
    """Two septic and two other simulated stays."""
    return four_stays(TEST_SEED)


@pytest.fixture(scope="module")
def psv_folder(tmp_path_factory, stays):
    return write_stays(tmp_path_factory.mktemp("stays"), stays)


@pytest.fixture(scope="module")
def keras_risks(stays):
    """The shipped Keras model's hourly risks (the reference the int8 files are checked against)."""
    from apps.vitals.model import VitalsModel

    vitals = VitalsModel.load(SHIPPED)
    return vitals.predict(stays), vitals.threshold


def run_device(env, cwd, *argv: str) -> subprocess.CompletedProcess:
    """``python -m apps.vitals ...`` from ``cwd`` with TensorFlow unimportable."""
    return subprocess.run([sys.executable, "-m", "apps.vitals", *argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def records(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.parametrize("backend", ["tflite", "onnx"])
def test_score_without_tensorflow_matches_the_keras_model(without_tensorflow, tmp_path, psv_folder, stays,
                                                          keras_risks, backend):
    result = run_device(without_tensorflow, tmp_path, "score", str(psv_folder), "--backend", backend, "--json")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""   # no LiteRT "INFO: Created TensorFlow Lite XNNPACK delegate" line
    rows = records(result.stdout)
    assert len(rows) == sum(stay.hours for stay in stays)
    risks, threshold = keras_risks
    by_file = {stay.name: (stay, risk) for stay, risk in zip(stays, risks)}
    agree = []
    for row in rows:
        stay, risk = by_file[row["file"].rsplit("/", 1)[-1][:-4]]
        hour = row["hour"] - 1
        assert row["risk"] == pytest.approx(float(risk[hour]), abs=INT8_RISK_TOLERANCE)
        assert row["news2"] == int(news2_scores(stay)[hour])
        agree.append(row["alert"] == bool(risk[hour] >= threshold))
    assert np.mean(agree) >= MIN_ALERT_AGREEMENT


def test_monitor_without_tensorflow_streams_every_hour(without_tensorflow, tmp_path, psv_folder, stays, keras_risks):
    stay = stays[0]
    result = run_device(without_tensorflow, tmp_path, "monitor", str(psv_folder / f"{stay.name}.psv"), "--json")
    assert result.returncode == 0, result.stderr
    rows = records(result.stdout)
    assert [row["hour"] for row in rows] == list(range(1, stay.hours + 1))
    np.testing.assert_allclose([row["risk"] for row in rows], keras_risks[0][0], atol=INT8_RISK_TOLERANCE)
    (summary,) = result.stderr.splitlines()   # one line, no LiteRT chatter
    alert_hours = sum(row["alert"] for row in rows)
    assert summary.startswith(f"{psv_folder / stay.name}.psv: {stay.hours} hours streamed (tflite), "
                              f"{alert_hours} alert hours, median ")


def test_evaluate_without_tensorflow_keeps_the_keras_auroc(without_tensorflow, tmp_path, psv_folder, stays,
                                                           keras_risks):
    out = tmp_path / "evaluation"
    result = run_device(without_tensorflow, tmp_path, "evaluate", "--data", str(psv_folder), "--out", str(out), "--json")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    expected = side_by_side(stays, keras_risks[0], keras_risks[1])
    assert record["news2"] == expected["news2"] and record["backend"] == "tflite"
    assert record["model"]["auroc"] == pytest.approx(expected["model"]["auroc"], abs=0.01)
    assert sorted(p.name for p in out.iterdir()) == ["calibration.png", "evaluation.json", "risk_timelines.png"]
    assert sum(row["hours"] for row in record["calibration"]) == record["hours"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evaluation", "no_tensorflow"]  # nothing else in the cwd


def test_help_imports_nothing_heavy():
    """--help of every command builds from light modules only (the <= 1 s start)."""
    script = ("import sys; from suite.app.registry import build_cli; build_cli('vitals').parser().format_help(); "
              f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_MODULES!r}))")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


# --------------------------------------------------------------------------- wrong-kind inputs: one line, exit 2
def wrong_kind_cases(psv: str, folder) -> dict[str, tuple[list[str], str]]:
    models = SHIPPED.parent
    return {
        "another app's model folder": (["score", psv, "--model", str(models / "speech")], "a speech model, not a vitals"),
        "another app's exported file": (["monitor", psv, "--model", str(models / "video" / "model_int8.tflite")],
                                        "a video model, not a vitals"),
        "the fixed-length sequence model": (["monitor", psv, "--model", str(SHIPPED / "model_int8.tflite")],
                                            "not a step model"),
        "a folder as --plot": (["score", psv, "--plot", str(folder)], "is a folder"),
        "a file as evaluate --out": (["evaluate", "--data", psv, "--out", psv], "is a file"),
        "a folder as monitor input": (["monitor", str(folder)], "is a folder"),
        "a keras backend on an exported file": (["score", psv, "--model", str(SHIPPED / "step_int8.tflite"),
                                                 "--backend", "keras"], "a tflite file, but --backend keras"),
    }


@pytest.mark.parametrize("case", sorted(wrong_kind_cases("x", "y")))
def test_wrong_kind_input_is_one_line_exit_2(case, psv_folder, stays, tmp_path, capsys):
    argv, problem = wrong_kind_cases(str(psv_folder / f"{stays[0].name}.psv"), tmp_path)[case]
    assert main("vitals", argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1 and captured.err.startswith("error: ") and problem in captured.err


def test_evaluate_refuses_to_replace_a_foreign_folder(psv_folder, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert main("vitals", ["evaluate", "--data", str(psv_folder), "--out", str(tmp_path)]) == 2
    assert "refusing to replace it" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


# --------------------------------------------------------------------------- batches: good files, bad lines, exit 2
def test_score_batch_scores_good_files_and_reports_each_bad_one(psv_folder, stays, tmp_path, capsys):
    bad = tmp_path / "bad.psv"
    bad.write_text("HR,O2Sat\n1,2\n")
    missing = tmp_path / "missing.psv"
    good = [str(psv_folder / f"{stay.name}.psv") for stay in stays[:2]]
    assert main("vitals", ["score", good[0], str(bad), str(missing), good[1], "--json"]) == 2
    captured = capsys.readouterr()
    rows = records(captured.out)
    assert [sum(row["file"] == path for row in rows) for path in good] == [stays[0].hours, stays[1].hours]
    assert captured.err.splitlines() == [f"error: {bad}: wrong delimiter: the header is comma-separated, expected "
                                         "pipe-separated ('|') PSV",
                                         f"error: {missing}: no such file"]


def test_check_batch_summarises_good_files_and_reports_bad_ones(psv_folder, stays, tmp_path, capsys):
    bad = tmp_path / "empty.psv"
    bad.write_text("")
    assert main("vitals", ["check", str(psv_folder), str(bad), "--json"]) == 2
    captured = capsys.readouterr()
    summary = json.loads(captured.out)
    assert summary["stays"] == len(stays) and summary["hours"] == sum(stay.hours for stay in stays)
    assert summary["septic_stays"] == 2 and summary["bad_files"] == 1
    assert captured.err.splitlines() == [f"error: {bad}: empty file"]


def test_score_plot_is_written_only_where_asked(psv_folder, tmp_path, capsys):
    plot = tmp_path / "timelines.png"
    assert main("vitals", ["score", str(psv_folder), "--plot", str(plot)]) == 0
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(capsys.readouterr().out.splitlines()) > 0


def test_prepare_data_fills_the_training_cache_and_simulate_is_its_alias(tmp_path, monkeypatch, capsys):
    from apps.vitals.data import training_cohort_dir

    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    assert main("vitals", ["prepare-data", "--config", "tiny", "--patients", "12", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    folder = training_cohort_dir("hospital_a", 12, 1)
    assert record["out"] == str(folder) and record["patients"] == 12 and record["seed"] == 1
    assert len(list(folder.glob("*.psv"))) == 12
    assert main("vitals", ["simulate", "--out", str(tmp_path / "sim"), "--patients", "12", "--seed", "1", "--json"]) == 0
    capsys.readouterr()
    assert (tmp_path / "sim" / "p000007.psv").read_bytes() == (folder / "p000007.psv").read_bytes()


def test_the_shipped_preset_is_the_shipped_models_settings():
    """``train --config small`` reproduces the shipped model: the same settings, model and data."""
    from apps.vitals.presets import PRESETS
    from suite.config import to_dict

    config = json.loads((SHIPPED / "config.json").read_text())
    small = PRESETS[config["preset"]].config
    assert config["preset"] == "small" and to_dict(small) == config["settings"]
    assert small.model_kwargs() == config["model"]
    assert config["data"]["patients"] == small.train_patients and config["data"]["seed"] == small.data_seed


def test_benchmark_times_every_part_of_an_hour():
    from tests.benchmark_scripts import load_benchmark

    benchmark = load_benchmark("vitals")
    result = benchmark.measure(SHIPPED, stays_count=3, repeats=20)
    stays = benchmark.heldout_cohort("hospital_a", 3, seed=benchmark.BENCHMARK_SEED)
    assert result["hours"] == sum(stay.hours for stay in stays)
    timed = [key for key in result if key.endswith("_us")]
    assert len(timed) == 6 and all(result[key] > 0 for key in timed)
