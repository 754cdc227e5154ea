"""``python -m export``: model directory in, exported file + parity report out, exit 2 on problems."""
from __future__ import annotations

import json

import numpy as np
import pytest

from export.__main__ import main
from export import report as parity
from suite.modeldir import save_model_dir
from tests.export_toy_models import model_data, trained_model


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export_cli") / "gru_model"
    config = {"app": None, "task": "classification", "topology": "many_to_one", "model": {}, "preset": "test"}
    save_model_dir(folder, trained_model("gru"), config)
    return folder


@pytest.fixture(scope="module")
def calibration_file(tmp_path_factory):
    inputs, targets = model_data("gru", 2 * parity.MIN_HELDOUT_SEQUENCES, seed=42)
    path = tmp_path_factory.mktemp("export_cli_data") / "data.npz"
    np.savez(path, inputs=inputs, targets=targets)
    return path


def test_int8_export_writes_file_and_report(model_dir, calibration_file, tmp_path, capsys):
    report_path = tmp_path / "report.json"
    code = main([str(model_dir), "--format", "tflite", "--quantize", "int8",
                 "--calibration-data", str(calibration_file), "--report", str(report_path)])
    assert code == 0
    assert (model_dir / "model_int8.tflite").is_file()
    report = json.loads(report_path.read_text())
    assert report["samples"] == parity.MIN_HELDOUT_SEQUENCES  # the second half of the .npz is held out
    low, high = report["agreement_interval"]
    assert low <= report["agreement"] <= high and high - low < 0.05  # 95% Wilson interval on 200 clips
    assert report["agreement"] >= parity.MIN_ARGMAX_AGREEMENT
    assert report["export"] > 0.9 and report["keras"] > 0.9  # accuracy on the targets, chance 1/3
    assert report["within_size_bound"] is True
    assert report["bytes"] == (model_dir / "model_int8.tflite").stat().st_size
    assert report["latency_ratio"] > 1.0  # the exported runtime beats eager Keras at batch 1
    assert "FULLY_CONNECTED" in report["ops"]
    assert "max abs diff" in capsys.readouterr().out


def test_step_export_checks_streaming(model_dir, calibration_file, tmp_path):
    report_path = tmp_path / "step.json"
    out = tmp_path / "stream.tflite"
    assert main([str(model_dir), "--quantize", "int8", "--step", "--calibration-data", str(calibration_file),
                 "--out", str(out), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert out.is_file() and report["steps"] == 1
    assert report["step_argmax_agreement"] >= parity.MIN_ARGMAX_AGREEMENT
    assert report["step_max_abs_diff"] < 0.3
    assert report["bytes"] <= parity.size_bound(report["params"], 1, step_model=True)


def test_disagreement_exits_2_with_message(model_dir, calibration_file, tmp_path, monkeypatch, capsys):
    from export import tasks

    # Impossible: no agreement reaches 1.5, and no accuracy change is above +1.
    monkeypatch.setattr(tasks, "MIN_ARGMAX_AGREEMENT", 1.5)
    monkeypatch.setattr(tasks, "MAX_ACCURACY_DROP", -1.0)
    code = main([str(model_dir), "--quantize", "float16", "--calibration-data", str(calibration_file),
                 "--out", str(tmp_path / "m.tflite"), "--report", str(tmp_path / "report.json")])
    assert code == 2
    assert "disagrees with Keras" in capsys.readouterr().err
    assert (tmp_path / "report.json").is_file()  # the numbers behind the refusal


@pytest.mark.parametrize("argv, message", [
    (["--calibration-data", "missing.npz"], "missing.npz"),
    (["--quantize", "int8"], "calibration"),
    (["--prune", "1.5"], "--prune"),
])
def test_bad_input_exits_2(model_dir, argv, message, capsys):
    assert main([str(model_dir), *argv]) == 2
    assert message in capsys.readouterr().err


def test_not_a_model_dir_exits_2(tmp_path, capsys):
    assert main([str(tmp_path)]) == 2
    assert str(tmp_path) in capsys.readouterr().err


def test_small_heldout_set_is_refused_before_conversion(model_dir, tmp_path, capsys):
    inputs, targets = model_data("gru", 100, seed=5)
    small = tmp_path / "small.npz"
    np.savez(small, inputs=inputs, targets=targets)
    out = tmp_path / "m.tflite"
    assert main([str(model_dir), "--calibration-data", str(small), "--out", str(out)]) == 2
    assert "insufficient held-out data: 50 sequences" in capsys.readouterr().err
    assert not out.exists()


def test_out_folder_is_one_line_exit_2(model_dir, calibration_file, tmp_path, capsys):
    assert main([str(model_dir), "--calibration-data", str(calibration_file), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a folder" in err


def test_unknown_task_in_config_is_refused_not_scored_as_classification(tmp_path, calibration_file, capsys):
    folder = tmp_path / "ranker"
    save_model_dir(folder, trained_model("gru"), {"app": None, "task": "ranking", "topology": "many_to_one",
                                                  "model": {}})
    out = tmp_path / "m.tflite"
    assert main([str(folder), "--calibration-data", str(calibration_file), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "config.json: unknown task 'ranking'" in err and "classification" in err
    assert not out.exists()


def test_app_export_command_lists_the_same_formats_and_modes_as_export():
    """suite.app.shared_commands keeps its own copies (importing export at --help would load numpy)."""
    import export
    from suite.app import shared_commands

    assert shared_commands.EXPORT_FORMATS == export.FORMATS
    assert shared_commands.QUANTIZE_MODES == export.QUANTIZE_MODES
