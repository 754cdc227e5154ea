"""export/runtime.py: standalone device runtime for .tflite and .onnx, tested against Keras."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from export import runtime as runtime_module
from export.onnx_export import to_onnx
from export.runtime import Runtime, StreamingRuntime, dequantize, quantize
from export.tflite import to_tflite
from suite.keras import keras
from suite.streaming import step_model
from tests.export_toy_models import model_data, trained_model

RUNTIME_SCRIPT = Path(runtime_module.__file__)
SAMPLES = 24
# tflite_micro: the optional TFLite Micro backend (a device-side runtime too, no TensorFlow).
ALLOWED_IMPORTS = {"__future__", "argparse", "json", "os", "re", "sys", "numpy", "ai_edge_litert", "onnxruntime",
                   "tflite_micro"}


@pytest.fixture(scope="module")
def gru_files(tmp_path_factory) -> dict[str, str]:
    """The trained toy GRU as float ONNX, int8 TFLite with int8 I/O, and float step models."""
    folder = tmp_path_factory.mktemp("runtime")
    model = trained_model("gru")
    calibration = model_data("gru", 64, seed=2)[0]
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    step = step_model(copy)
    return {
        "onnx": to_onnx(model, folder / "model.onnx")["path"],
        "tflite_int8": to_tflite(model, folder / "model_int8.tflite", "int8", representative=calibration,
                                 int8_io=True)["path"],
        "step_onnx": to_onnx(step, folder / "step.onnx")["path"],
        "step_tflite": to_tflite(step, folder / "step.tflite")["path"],
    }


@pytest.fixture(scope="module")
def held_out(tmp_path_factory) -> tuple[np.ndarray, np.ndarray, str]:
    x, _ = model_data("gru", SAMPLES, seed=1)
    path = tmp_path_factory.mktemp("inputs") / "input.npy"
    np.save(path, x)
    return x, trained_model("gru").predict(x, verbose=0), str(path)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(RUNTIME_SCRIPT), *args], capture_output=True, text=True, timeout=120)


def test_runtime_imports_only_numpy_and_the_model_runtimes():
    tree = ast.parse(RUNTIME_SCRIPT.read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS


def test_quantize_round_trip_hand_computed():
    q = quantize(np.array([0.0, 0.5, -1.0, 100.0], np.float32), scale=0.01, zero_point=-3, dtype=np.int8)
    np.testing.assert_array_equal(q, [-3, 47, -103, 127])  # 100/0.01 saturates at 127
    np.testing.assert_allclose(dequantize(q, 0.01, -3), [0.0, 0.5, -1.0, 1.30], atol=1e-6)


def test_onnx_runtime_matches_keras(gru_files, held_out):
    x, expected, _ = held_out
    runtime = Runtime(gru_files["onnx"])
    assert runtime.input_names == ["x"] and runtime.input_shapes[0][1:] == x.shape[1:]
    np.testing.assert_allclose(runtime.run(x)[0], expected, atol=1e-5)


def test_int8_tflite_io_is_quantized_from_the_model_parameters(gru_files, held_out):
    x, expected, _ = held_out
    runtime = Runtime(gru_files["tflite_int8"])
    assert runtime.is_int8_io
    spec = runtime.backend.inputs["x"]
    assert spec["dtype"] == np.int8 and spec["scale"] > 0
    scores = runtime.run(x)[0]
    assert scores.dtype == np.float32
    assert np.mean(scores.argmax(-1) == expected.argmax(-1)) >= 0.95
    assert np.abs(scores - expected).mean() < 0.03


@pytest.mark.parametrize("key", ["step_onnx", "step_tflite"])
def test_streaming_runtime_keeps_state_like_the_sequence_model(gru_files, held_out, key):
    x, expected, _ = held_out
    runtime = StreamingRuntime(gru_files[key])
    assert runtime.state_names == ["state_in_0"]
    streamed = np.stack([runtime.run_sequence(sequence)[-1] for sequence in x])
    np.testing.assert_allclose(streamed, expected, atol=1e-4)
    # Without the carried state the last frame alone gives different scores: the state matters.
    runtime.reset()
    assert np.abs(runtime.step(x[0, -1]) - expected[0]).max() > 1e-3


@pytest.mark.parametrize("key,extra", [("onnx", []), ("tflite_int8", []), ("step_onnx", ["--step"])])
def test_cli_prints_predictions(gru_files, held_out, key, extra):
    _, expected, input_path = held_out
    result = _cli(gru_files[key], input_path, "--json", *extra)
    assert result.returncode == 0, result.stderr
    predictions = json.loads(result.stdout)["predictions"]
    argmax = [p["argmax"] for p in predictions]
    assert len(argmax) == SAMPLES
    assert np.mean(np.array(argmax) == expected.argmax(-1)) >= 0.95
    text = _cli(gru_files[key], input_path, *extra)
    assert text.stdout.splitlines()[0].startswith(f"sample 0: class {argmax[0]}")


def test_cli_bad_files_exit_2_with_one_line(gru_files, held_out, tmp_path):
    _, _, input_path = held_out
    garbage = tmp_path / "broken.tflite"
    garbage.write_bytes(b"not a flatbuffer")
    wrong_shape = tmp_path / "wrong.npy"
    np.save(wrong_shape, np.zeros((2, 5, 7), np.float32))
    cases = [
        ([str(garbage), input_path], "broken.tflite: not a valid .tflite model"),
        ([str(tmp_path / "missing.onnx"), input_path], "missing.onnx: no such model file"),
        ([gru_files["onnx"], str(tmp_path / "none.npy")], "none.npy: no such input file"),
        ([gru_files["onnx"], str(wrong_shape)], "input 'x' needs shape"),
        ([gru_files["onnx"], input_path, "--step"], "not a step model"),
    ]
    for args, message in cases:
        result = _cli(*args)
        lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
        assert result.returncode == 2, (args, result.stderr)
        assert len(lines) == 1 and message in lines[0], result.stderr
        assert "Traceback" not in result.stderr
