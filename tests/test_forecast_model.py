"""The forecast model: a tiny model trained on a synthetic seasonal CSV beats naive, the step model equals the
sequence model, the int8 export keeps MASE, and forecast/monitor run with TensorFlow unimportable."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from suite.app import registry

HOURS = 24 * 50
TRAIN_SETTINGS = ["--set", "epochs=8", "--set", "units=16", "--set", "windows_per_series=256"]


def seasonal_csv(path, hours=HOURS, seed=0):
    """Hourly load: a daily cycle plus a persistent (AR(1)) deviation that seasonal naive cannot follow."""
    rng = np.random.default_rng(seed)
    deviation = np.zeros(hours)
    for t in range(1, hours):
        deviation[t] = 0.9 * deviation[t - 1] + rng.normal(0, 0.5)
    t = np.arange(hours)
    values = 20 + 5 * np.sin(2 * np.pi * t / 24) + deviation
    times = np.datetime64("2024-01-01T00:00") + t * np.timedelta64(1, "h")
    path.write_text("time,load\n" + "".join(f"{str(s).replace('T', ' ')},{v:.4f}\n" for s, v in zip(times, values)))
    return path


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("forecast")
    csv = seasonal_csv(folder / "load.csv")
    model_dir = folder / "model"
    code = registry.main("forecast", ["train", "--config", "tiny", *TRAIN_SETTINGS, "--data", str(csv),
                                      "--runs", str(folder / "runs"), "--out", str(model_dir), "--json"])
    assert code == 0
    return model_dir, csv


@pytest.fixture(scope="module")
def exported(trained):
    model_dir, csv = trained
    registry.main("forecast", ["export", "--model", str(model_dir), "--format", "onnx", "--kind", "step", "--json"])
    return model_dir, csv


def test_tiny_model_beats_naive_on_a_seasonal_series(trained):
    from apps.forecast import data
    from apps.forecast.evaluation import evaluate_series
    from apps.forecast.model import KerasForecaster

    model_dir, csv = trained
    heldout = json.loads((model_dir / "metrics.json").read_text())["heldout"]["load"]
    assert heldout["origins"] == 40 and heldout["horizon"] == 12
    assert heldout["model"]["mase"] < 0.8 * heldout["naive"]["mase"]
    assert heldout["model"]["mase"] < heldout["seasonal_naive"]["mase"]
    assert 0.5 <= heldout["model"]["coverage_80"] <= 1.0
    config = json.loads((model_dir / "config.json").read_text())
    saved = config["series"]["load"]
    assert (saved["season"], saved["base_season"], config["horizon"]) == (24, 24, 12) and saved["delta_scale"] > 0
    assert len(saved["interval_pad"]) == 12 and np.all(np.isfinite(saved["interval_pad"]))
    # an AR(1) deviation around a steady daily cycle: the week's mean daily profile is the base
    assert saved["blend"] in (0.0, 0.25, 0.5, 0.75, 1.0) and saved["base_lags"] == [24 * k for k in range(1, 8)]
    # the model's own offsets (blend 1, whatever validation chose) beat naive and seasonal naive
    config["series"]["load"]["blend"] = 1.0
    (series,) = data.read_csv(csv)
    scores = evaluate_series(KerasForecaster.load(model_dir), series, config, statistical=False).scores
    assert scores["model"]["mase"] < 0.8 * scores["naive"]["mase"]
    assert scores["model"]["mase"] < scores["seasonal_naive"]["mase"]


def test_step_model_equals_sequence_model(trained):
    from apps.forecast import data
    from apps.forecast.model import KerasForecaster, StepForecaster

    model_dir, csv = trained
    (series,) = data.read_csv(csv)
    keras = KerasForecaster.load(model_dir)
    scale = data.fit_scale(series.values, 12, 24)
    contexts = data.context_inputs(series, scale, 48, np.array([100, 500, 1000]))
    sequence = keras.last_outputs(contexts)
    stepped = StepForecaster(keras.stepper()).last_outputs(contexts)
    assert sequence.shape == (3, 36)
    np.testing.assert_allclose(stepped, sequence, atol=1e-4)


def test_int8_export_keeps_mase(exported):
    model_dir, _ = exported
    metrics = json.loads((model_dir / "metrics.json").read_text())
    gate = metrics["mase_gate"]["step_int8.onnx"]
    assert gate["passed"] and gate["series_increase"]["load"] <= 0.02 and gate["float_mase"] > 0
    # the export task registry's forecast gate: single steps (no targets) by relative RMS, then the median's
    # error on the held-out targets when stepped through 200 windows, at most 2% above Keras'
    report = metrics["exports"]["step_int8.onnx"]
    assert (report["task"], report["metric"], report["threshold"]) == ("forecast", "relative_rms", 0.05)
    assert report["passed"] and report["agreement"] <= 0.05 and report["step_sequences"] == 200
    assert report["step_keras"] > 0 and report["step_agreement"] <= 0.02
    assert metrics["exports"]["step_int8.onnx"]["bytes"] < 50_000


def test_forecast_and_monitor_without_tensorflow(exported, without_tensorflow):
    model_dir, csv = exported
    run = [sys.executable, "-m", "apps.forecast"]
    done = subprocess.run([*run, "forecast", str(csv), "--model", str(model_dir), "--backend", "onnx", "--horizon", "6",
                           "--json"], capture_output=True, text=True, env=without_tensorflow)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout)
    assert record["series"] == "load" and record["horizon"] == 6
    assert [step["time"] for step in record["forecast"]][:2] == ["2024-02-20T00:00:00", "2024-02-20T01:00:00"]
    assert all(s["low_80"] <= s["median"] <= s["high_80"] for s in record["forecast"])

    from apps.forecast import data
    from apps.forecast.inference import forecast_series
    from apps.forecast.model import KerasForecaster

    (series,) = data.read_csv(csv)
    config = json.loads((model_dir / "config.json").read_text())
    keras = forecast_series(KerasForecaster.load(model_dir).stepper(), series, config, 6)
    int8 = np.array([[s["low_80"], s["median"], s["high_80"]] for s in record["forecast"]])
    assert np.max(np.abs(int8 - keras)) < 0.05 * np.std(series.values)

    done = subprocess.run([*run, "monitor", str(csv), "--model", str(model_dir), "--backend", "onnx", "--json"],
                          capture_output=True, text=True, env=without_tensorflow)
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(lines) == HOURS + 1 and lines[0]["index"] == 0 and "expected_median" not in lines[0]
    summary = lines[-1]
    assert summary["checked"] == HOURS - 4 * 24       # warm-up: four daily seasons (longer than the context)
    assert 0.15 <= summary["outside_80"] / summary["checked"] <= 0.25   # tracked bounds: about 20% (tracking.py)


def test_commands_import_no_tensorflow():
    code = ("import sys; from suite.app.registry import build_cli; build_cli('forecast'); "
            "import apps.forecast.inference, apps.forecast.model; print('tensorflow' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_evaluate_json_and_fan_chart(tmp_path):
    done = subprocess.run([sys.executable, "-m", "apps.forecast", "evaluate", "--series", "elec_equip", "--origins", "10",
                           "--backend", "onnx", "--out", str(tmp_path), "--json"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    row, summary = [json.loads(line) for line in done.stdout.splitlines()]
    assert (row["series"], row["origins"], row["horizon"]) == ("elec_equip", 10, 24)
    assert set(row) >= {"model", "naive", "seasonal_naive", "statistical"}
    assert set(row["model"]) == {"mase", "smape", "quantile_loss", "coverage_80"}
    assert 0 < row["model"]["mase"] < row["naive"]["mase"] and 0 <= row["model"]["coverage_80"] <= 1
    assert summary["chart"] == str(tmp_path / "forecast_fan.png") and (tmp_path / "forecast_fan.png").stat().st_size > 10_000


def test_shipped_model_passes_the_int8_mase_gate():
    from suite.app import shipped_model_dir

    metrics = json.loads((shipped_model_dir("forecast") / "metrics.json").read_text())
    gate = metrics["mase_gate"]
    assert set(gate) == {"model_int8.tflite", "step_int8.tflite", "model_int8.onnx", "step_int8.onnx"}
    for entry in gate.values():
        assert len(entry["series_increase"]) == 7 and max(entry["series_increase"].values()) <= 0.02
        assert entry["passed"]
    assert all(report["passed"] and report["task"] == "forecast" for report in metrics["exports"].values())


@pytest.mark.parametrize("command", ["prepare-data", "train", "export", "evaluate", "forecast", "monitor"])
def test_every_command_has_help(command):
    done = subprocess.run([sys.executable, "-m", "apps.forecast", command, "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stderr == "" and "usage: python -m apps.forecast " + command in done.stdout
