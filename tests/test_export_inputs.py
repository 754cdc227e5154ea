"""``python -m export MODEL``: bare .keras (Keras 3 or tf_keras) and .h5 files, safe loading, data rules."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from export import report as parity
from export.__main__ import main
from export.calibration import SPEC_DESCRIPTION
from tests.export_zoo import calibration_npz, flavour_module, saved


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("export_inputs"))


@pytest.fixture(scope="module")
def data(folder, tmp_path_factory):
    return calibration_npz(tmp_path_factory.mktemp("export_inputs_data") / "data.npz")


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
def test_bare_keras_file_exports_int8_and_agrees(flavour, folder, data, tmp_path):
    model_file = saved(flavour, "gru", folder)
    out, report_path = tmp_path / "m.tflite", tmp_path / "r.json"
    assert main([str(model_file), "--quantize", "int8", "--calibration-data", str(data), "--out", str(out),
                 "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["flavour"] == flavour and report["source"] == str(model_file)
    assert report["samples"] == 200 and report["keras"] > 0.9  # trained: chance is 1/3
    assert report["agreement"] >= parity.MIN_ARGMAX_AGREEMENT
    assert report["task"] == "classification"  # inferred from the softmax output, and said so
    assert any("softmax" in note for note in report["notes"])
    assert "WHILE" not in report["ops"] and out.stat().st_size == report["bytes"]


def test_keras3_rebuild_keeps_outputs_exactly(folder):
    """The tf_keras twin of a Keras 3 model computes the same function (checked on load, here again)."""
    import keras

    from export.loading import load

    model_file = saved("keras3", "lstm", folder)
    loaded = load(model_file)
    original = keras.saving.load_model(model_file, compile=False)
    x = np.random.default_rng(0).normal(size=(16, 12, 4)).astype(np.float32)
    difference = np.max(np.abs(np.asarray(original(x)) - loaded.model.predict(x, verbose=0)))
    assert difference < 1e-5
    assert loaded.flavour == "keras3" and type(loaded.model).__module__.startswith("tf_keras")


def test_h5_file_exports_float_without_data_on_spec_inputs(folder, tmp_path):
    model_file = saved("tf_keras", "simple_rnn", folder, suffix=".h5")
    report_path = tmp_path / "r.json"
    assert main([str(model_file), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["data"] == SPEC_DESCRIPTION and report["samples"] == 200
    assert report["max_abs_diff"] < 1e-4 and report["agreement"] == 1.0
    default_out = model_file.with_name("tf_keras_simple_rnn_none.tflite")  # beside the bare file
    assert report["path"] == str(default_out) and default_out.is_file()


def test_folder_with_one_keras_file_and_no_config(folder, data, tmp_path):
    inside = tmp_path / "my_model"
    inside.mkdir()
    shutil.copy(saved("keras3", "gru", folder), inside / "anything.keras")
    out, report_path = tmp_path / "m.onnx", tmp_path / "r.json"
    assert main([str(inside), "--format", "onnx", "--quantize", "int8", "--calibration-data", str(data),
                 "--out", str(out), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    # Keras 3's own GRU becomes a Loop in tf2onnx; through the tf_keras rebuild it is a native ONNX GRU.
    assert "GRU" in report["ops"] and "Loop" not in report["ops"] and report["flavour"] == "keras3"
    assert report["agreement"] >= parity.MIN_ARGMAX_AGREEMENT and out.stat().st_size == report["bytes"]


def test_int8_without_data_on_a_bare_file_is_one_clear_error(folder, tmp_path, capsys):
    model_file = saved("tf_keras", "gru", folder)
    out = tmp_path / "m.tflite"
    assert main([str(model_file), "--quantize", "int8", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{model_file}: --quantize int8 needs representative inputs" in err
    assert not out.exists()


def _lambda_model(path):
    import keras

    model = keras.Sequential([keras.Input((STEPS_, 4)), keras.layers.Lambda(lambda t: t * 2.0, name="doubler"),
                              keras.layers.GRU(3)])
    model.save(path)
    return path


STEPS_ = 12


def test_lambda_layer_is_refused_without_unsafe(tmp_path, capsys):
    model_file = _lambda_model(tmp_path / "lambda.keras")
    assert main([str(model_file), "--out", str(tmp_path / "m.tflite")]) == 2
    err = capsys.readouterr().err
    assert err == (f"error: {model_file}: layer 'doubler' (Lambda) runs Python code stored in the file; "
                   "refused (pass --unsafe if you trust the file)\n")
    # With --unsafe the file loads; the lowering then names the layer it cannot lower.
    assert main([str(model_file), "--unsafe", "--out", str(tmp_path / "m.tflite")]) == 2
    assert "doubler" in capsys.readouterr().err and not (tmp_path / "m.tflite").exists()


def test_custom_layer_is_refused_naming_it(tmp_path, capsys):
    import keras

    @keras.saving.register_keras_serializable(package="user")
    class Scale(keras.layers.Layer):
        def call(self, inputs):
            return inputs * 3.0

    model = keras.Sequential([keras.Input((STEPS_, 4)), Scale(name="scale"), keras.layers.GRU(3)])
    model_file = tmp_path / "custom.keras"
    model.save(model_file)
    assert main([str(model_file)]) == 2
    err = capsys.readouterr().err
    assert "layer 'scale' (user>Scale) is a custom class" in err and err.count("\n") == 1


@pytest.mark.parametrize("content, message", [(b"not a zip", "not a readable .keras archive"),
                                              (b"", "not a readable .keras archive")])
def test_broken_keras_file_is_one_line(tmp_path, capsys, content, message):
    model_file = tmp_path / "broken.keras"
    model_file.write_bytes(content)
    assert main([str(model_file)]) == 2
    assert message in capsys.readouterr().err


def test_in_memory_keras3_model_through_the_python_api(folder, tmp_path):
    from export import export_model
    from tests.export_zoo import train
    from tests.export_toy_models import pulse_task

    model = train("keras3", "gru", epochs=4, seed=1)
    inputs, targets = pulse_task(400, 9)
    report = export_model(model, data=(inputs, targets), format="tflite", quantize="int8", out=tmp_path / "m.tflite")
    assert report["flavour"] == "keras3" and report["agreement"] >= parity.MIN_ARGMAX_AGREEMENT
    assert flavour_module("keras3").__version__.startswith("3.")


def test_step_export_of_a_bare_keras3_file(folder, data, tmp_path):
    model_file = saved("keras3", "gru", folder)
    report_path = tmp_path / "r.json"
    assert main([str(model_file), "--step", "--quantize", "int8", "--calibration-data", str(data),
                 "--out", str(tmp_path / "s.tflite"), "--report", str(report_path)]) == 0
    report = json.loads(report_path.read_text())
    assert report["steps"] == 1 and report["step_sequences"] == 200
    assert report["step_agreement"] >= parity.MIN_ARGMAX_AGREEMENT


@pytest.mark.parametrize("kind, message", [
    # (Keras names layers per session: 'gru' or 'gru_1', so the class is matched, not the name)
    ("stack_backwards", "(GRU) runs backwards over the sequence (go_backwards=True)"),
    ("conv1d", "(Conv1D) mixes time steps"),
])
def test_step_export_refuses_layers_that_cannot_stream(folder, data, tmp_path, capsys, kind, message):
    model_file = saved("keras3", kind, folder)
    out = tmp_path / "s.tflite"
    assert main([str(model_file), "--step", "--calibration-data", str(data), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and not out.exists()


def test_unsupported_layer_fails_before_conversion_naming_it(tmp_path, capsys):
    import keras

    model = keras.Sequential([keras.Input((12, 4)), keras.layers.GRU(6, return_sequences=True),
                              keras.layers.UpSampling1D(2, name="upsample"), keras.layers.GlobalAveragePooling1D()])
    model_file = tmp_path / "upsample.keras"
    model.save(model_file)
    out = tmp_path / "m.onnx"
    assert main([str(model_file), "--format", "onnx", "--task", "regression", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "layer 'upsample' (UpSampling1D): not supported by the export" in err and err.count("\n") == 1
    assert not out.exists()


def test_keras3_sequential_is_rebuilt_with_the_same_outputs():
    import keras

    from export.loading import from_memory

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((9, 5)), keras.layers.LSTM(7, return_sequences=True),
                              keras.layers.GRU(6, reset_after=False), keras.layers.Dense(4, activation="softmax")])
    loaded = from_memory(model)
    x = np.random.default_rng(1).normal(size=(3, 9, 5)).astype(np.float32)
    assert loaded.flavour == "keras3" and [type(layer).__name__ for layer in loaded.model.layers] == [
        "InputLayer", "LSTM", "GRU", "Dense"]
    np.testing.assert_allclose(loaded.model.predict(x, verbose=0), np.asarray(model(x)), atol=1e-5)
