"""A tiny vitals model trained once per module through the CLI: streaming equals the sequence model,
it beats chance on held-out stays, and score / monitor / evaluate agree with it."""
import json
import os

import numpy as np
import pytest

from apps.vitals.calibration import vitals_dataset
from apps.vitals.metrics import side_by_side
from apps.vitals.model import KerasStepper, ModelSettings, StayMonitor, VitalsModel
from apps.vitals.news2 import news2_scores
from suite.app import main
from tests.vitals_stays import four_stays, write_stays

TINY_TRAINING = ["--config", "tiny", "--set", "train_patients=240", "--set", "epochs=3"]   # 200 held out
TEST_SEED = 77           # test stays: neither the training seed (1) nor the held-out seed (1001)
KERAS = ["--backend", "keras"]   # the tiny model is not exported here: the commands run its Keras model


def cli(*argv: str) -> int:
    return main("vitals", list(argv))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """The tiny preset trained through the shared train: runs/vitals/tiny/model under a temporary root."""
    root = tmp_path_factory.mktemp("vitals")
    previous = os.environ.get("RNN_SUITE_CACHE")
    os.environ["RNN_SUITE_CACHE"] = str(root / "cache")
    try:
        assert cli("train", *TINY_TRAINING, "--runs", str(root / "runs"), "--json") == 0
    finally:
        if previous is None:
            os.environ.pop("RNN_SUITE_CACHE")
        else:
            os.environ["RNN_SUITE_CACHE"] = previous
    return root / "runs" / "vitals" / "tiny" / "model"


@pytest.fixture(scope="module")
def vitals(model_dir):
    return VitalsModel.load(model_dir)


@pytest.fixture(scope="module")
def stays():
    """Four test stays, two of them septic."""
    return four_stays(TEST_SEED)


@pytest.fixture(scope="module")
def psv_folder(tmp_path_factory, stays):
    return write_stays(tmp_path_factory.mktemp("psv"), stays)


def test_model_dir_holds_what_rebuilds_and_scores_it(model_dir, vitals):
    config = json.loads((model_dir / "config.json").read_text())
    assert config["app"] == "vitals" and config["task"] == "risk" and config["topology"] == "many_to_many"
    assert config["preset"] == "tiny" and config["settings"]["train_patients"] == 240
    assert config["data"]["simulated"] == "hospital_a" and config["data"]["patients"] == 240
    assert config["command"].startswith("python -m apps.vitals train --config tiny")
    assert config["model"]["input_shape"] == [None, 108] and config["model"]["cell"] == "gru"
    assert config["sequence_length"] == 48 and 0.0 < config["alert_threshold"] < 1.0
    assert vitals.model.get_layer("output").output_shape == (None, None, 1)
    assert (model_dir / "history.csv").read_text().count("\n") == 1 + 3  # header + 3 epochs


def test_step_model_equals_sequence_model(vitals, stays):
    """HourlyFeaturizer + compiled step model, hour by hour, against the sequence model on whole stays."""
    sequence_risks = vitals.predict(stays)
    streaming = StayMonitor(ModelSettings(vitals.stats, vitals.threshold, "tiny"), KerasStepper(vitals.model), "keras")
    for stay, expected in zip(stays, sequence_risks):
        streaming.reset()
        stepped = np.array([streaming.update(row)[0] for row in stay.values])
        assert stepped.shape == expected.shape == (stay.hours,)
        np.testing.assert_allclose(stepped, expected, atol=1e-5)


def test_tiny_model_beats_chance_and_news2_on_heldout_stays(model_dir):
    metrics = json.loads((model_dir / "metrics.json").read_text())
    heldout = metrics["heldout"]["hospital_a"]
    assert heldout["stays"] == 200 and heldout["septic_stays"] > 10
    assert heldout["model"]["auroc"] > 0.75  # chance is 0.5
    assert heldout["model"]["auroc"] > heldout["news2"]["auroc"]
    assert metrics["heldout"]["hospital_b"]["model"]["auroc"] > 0.65


def test_score_prints_one_object_per_hour(psv_folder, model_dir, vitals, stays, capsys):
    assert cli("score", str(psv_folder), "--model", str(model_dir), *KERAS, "--json") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(records) == sum(stay.hours for stay in stays)
    assert set(records[0]) == {"file", "hour", "risk", "news2", "alert"}
    by_name = {stay.name: (stay, risk) for stay, risk in zip(stays, vitals.predict(stays))}
    for record in records:
        stay, risk = by_name[os.path.basename(record["file"])[:-4]]
        hour = record["hour"] - 1
        assert record["risk"] == pytest.approx(float(risk[hour]), abs=1e-4)
        assert record["news2"] == int(news2_scores(stay)[hour])
        assert record["alert"] == bool(risk[hour] >= vitals.threshold)


def test_monitor_streams_the_same_hours_and_prints_alert_changes(psv_folder, model_dir, vitals, stays, capsys):
    stay = stays[0]  # septic
    path = psv_folder / f"{stay.name}.psv"
    assert cli("monitor", str(path), "--model", str(model_dir), *KERAS, "--json") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    risk = vitals.predict([stay])[0]
    assert [r["hour"] for r in records] == list(range(1, stay.hours + 1))
    np.testing.assert_allclose([r["risk"] for r in records], risk, atol=2e-4)

    assert cli("monitor", str(path), "--model", str(model_dir), *KERAS) == 0
    captured = capsys.readouterr()
    alerts = risk >= vitals.threshold
    changes = int(alerts[0]) + int(np.sum(alerts[1:] != alerts[:-1]))
    lines = captured.out.splitlines()
    assert len(lines) == changes and sum("ALERT" in line for line in lines) == (changes + 1) // 2
    assert f"{stay.hours} hours streamed" in captured.err


def test_evaluate_reports_model_and_news2_with_figures(psv_folder, model_dir, vitals, stays, tmp_path, capsys):
    out = tmp_path / "evaluation"
    assert cli("evaluate", "--data", str(psv_folder), "--model", str(model_dir), *KERAS, "--out", str(out),
                  "--json") == 0
    record = json.loads(capsys.readouterr().out)
    expected = side_by_side(stays, vitals.predict(stays), vitals.threshold)
    assert record["news2"] == expected["news2"]
    assert record["model"]["auroc"] == pytest.approx(expected["model"]["auroc"], abs=2e-3)
    assert record["stays"] == 4 and record["septic_stays"] == 2
    for name in ("calibration.png", "risk_timelines.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert json.loads((out / "evaluation.json").read_text())["hours"] == sum(stay.hours for stay in stays)


def test_impossible_values_give_one_clean_warning_line(psv_folder, model_dir, stays, tmp_path, capsys):
    text = (psv_folder / f"{stays[2].name}.psv").read_text().splitlines()
    cells = text[1].split("|")
    cells[0], cells[2] = "900", "80"  # HR 900, Temp 80
    path = tmp_path / "artefact.psv"
    path.write_text("\n".join([text[0], "|".join(cells), *text[2:]]) + "\n")
    assert cli("score", str(path), "--model", str(model_dir), *KERAS) == 0
    err = capsys.readouterr().err.splitlines()
    assert err == ["warning: 2 physiologically impossible values treated as missing (HR 1, Temp 1) in 1 of 1 files"]


def test_bad_config_override_is_one_line_exit_2(tmp_path, capsys):
    assert cli("train", "--set", "units=many", "--out", str(tmp_path / "m"), "--runs", str(tmp_path / "runs")) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "units" in err and not (tmp_path / "m").exists()
    assert not (tmp_path / "runs").exists()


def test_export_data_is_48_unpadded_hours_normalised_as_in_training(model_dir):
    config = json.loads((model_dir / "config.json").read_text())
    inputs, targets = vitals_dataset(config, "heldout", 6)
    assert inputs.shape == (6, 48, 108) and targets.shape == (6, 48, 1) and inputs.dtype == np.float32
    # every hour is real: an observation mask or an hours-since feature is above 0 (no all-zero padding)
    assert (np.abs(inputs).sum(axis=2) > 0).all()
    again, _ = vitals_dataset(config, "heldout", 6)
    calibration, _ = vitals_dataset(config, "calibration", 6)
    assert np.array_equal(inputs, again) and not np.array_equal(inputs, calibration)


@pytest.mark.slow
def test_export_int8_keeps_auroc_and_monitor_runs_the_int8_step_model(model_dir, stays, psv_folder, tmp_path, capsys):
    import shutil

    exported = tmp_path / "model"
    shutil.copytree(model_dir, exported)
    assert cli("export", "--model", str(exported), "--json") == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["file"] for r in records] == ["model_int8.tflite", "step_int8.tflite", "model_int8.onnx", "step_int8.onnx"]
    assert all(r["metric"] == "auroc" and r["passed"] for r in records)
    metrics = json.loads((exported / "metrics.json").read_text())
    assert set(metrics["exports"]) == {r["file"] for r in records}
    streamed = metrics["int8_streamed"]
    assert set(streamed) == {"hospital_a", "hospital_b"} and streamed["hospital_a"]["stays"] == 200
    assert abs(streamed["hospital_a"]["auroc_difference"]) <= 0.01
    path = psv_folder / f"{stays[0].name}.psv"
    assert cli("monitor", str(path), "--model", str(exported), "--json") == 0
    int8 = [json.loads(line)["risk"] for line in capsys.readouterr().out.splitlines()]
    assert len(int8) == stays[0].hours
    np.testing.assert_allclose(int8, VitalsModel.load(exported).predict([stays[0]])[0], atol=0.1)
