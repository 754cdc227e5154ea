"""Phones: every .tflite has one named signature (step models: state_in_*/state_out_*) and carries the app
metadata from config.json, read back without TensorFlow; run through LiteRT's signature runner."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from export import report as parity
from export.__main__ import main
from export.runtime import StreamingRuntime, read_metadata
from suite.modeldir import save_model_dir
from tests.export_toy_models import model_data, trained_model

LABELS = ["early", "middle", "late"]
NORMALISATION = {"mean": [0.1, 0.0, 0.0, 0.0], "std": [0.5, 0.3, 0.3, 0.3]}


@pytest.fixture(scope="module")
def step_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("phone")
    config = {"app": None, "task": "classification", "topology": "many_to_one", "model": {"units": 16},
              "labels": LABELS, "normalisation": NORMALISATION, "frontend": {"hop_samples": 320},
              "train": {"epochs": 6}, "data": {"path": "/somewhere/on/this/machine"}}
    save_model_dir(folder / "gru", trained_model("gru"), config)
    inputs, targets = model_data("gru", 2 * parity.MIN_HELDOUT_SEQUENCES, seed=21)
    np.savez(folder / "data.npz", inputs=inputs, targets=targets)
    out = folder / "step_int8.tflite"
    assert main([str(folder / "gru"), "--step", "--quantize", "int8", "--calibration-data", str(folder / "data.npz"),
                 "--out", str(out)]) == 0
    return out, inputs


def test_metadata_travels_with_the_model_and_reads_back_without_tensorflow(step_file):
    out, _ = step_file
    code = ("import sys, json; sys.modules['tensorflow'] = None; from export.runtime import read_metadata; "
            f"print(json.dumps(read_metadata({str(out)!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    metadata = json.loads(result.stdout)
    assert metadata["labels"] == LABELS and metadata["normalisation"] == NORMALISATION
    assert metadata["frontend"] == {"hop_samples": 320} and metadata["task"] == "classification"
    assert metadata["step_model"] is True
    assert metadata["inputs"] == ["x", "state_in_0"] and metadata["outputs"] == ["scores", "state_out_0"]
    assert "train" not in metadata and "data" not in metadata  # training settings and machine paths stay out


def test_step_model_has_one_named_signature_and_streams_through_the_signature_runner(step_file):
    from ai_edge_litert.interpreter import Interpreter

    out, inputs = step_file
    interpreter = Interpreter(model_path=str(out))
    signatures = interpreter.get_signature_list()
    # (LiteRT lists a signature's names sorted)
    assert signatures == {"serving_default": {"inputs": ["state_in_0", "x"], "outputs": ["scores", "state_out_0"]}}
    runner = interpreter.get_signature_runner("serving_default")
    reference = StreamingRuntime(str(out))
    sequence = inputs[0]
    state = np.zeros((1, 16), np.float32)
    for frame in sequence:
        result = runner(x=frame[None, None].astype(np.float32), state_in_0=state)
        state = result["state_out_0"]
        expected = reference.step(frame)
    assert result["scores"].shape == (1, 3)
    np.testing.assert_allclose(result["scores"], expected, atol=1e-6)


def test_sequence_model_signature_and_metadata(tmp_path):
    from ai_edge_litert.interpreter import Interpreter

    from tests.export_zoo import saved

    model_file = saved("keras3", "gru", str(tmp_path))
    out = tmp_path / "m.tflite"
    assert main([str(model_file), "--out", str(out)]) == 0  # float, inputs drawn from the spec
    interpreter = Interpreter(model_path=str(out))
    assert interpreter.get_signature_list() == {"serving_default": {"inputs": ["x"], "outputs": ["scores"]}}
    x = np.random.default_rng(0).normal(size=(1, 12, 4)).astype(np.float32)
    scores = interpreter.get_signature_runner()(x=x)["scores"]
    assert scores.shape == (1, 3) and abs(float(scores.sum()) - 1.0) < 1e-5
    assert read_metadata(str(out))["task"] == "classification"
