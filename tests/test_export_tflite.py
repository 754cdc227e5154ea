"""TFLite export of trained toy models: every quantize mode x every recurrent family.

Asserts parity with Keras, builtin-only ops, the int8 size bound, and that int8 step models
stepped through held-out sequences agree with the Keras sequence model.
"""
from __future__ import annotations

import numpy as np
import pytest

from export import calibration
from export.report import size_bound
from export.runtime import Runtime, StreamingRuntime
from export.tflite import QUANTIZE_MODES, to_tflite
from suite.keras import keras
from suite.streaming import step_model
from tests.export_toy_models import MODEL_BUILDERS, STEPS, model_data, trained_model

HELDOUT = 150
MIN_AGREEMENT = 0.99  # the report's classification threshold
# Max abs difference of the output probabilities, per mode (float32 must be exact up to rounding).
# int8 moves a borderline probability by up to ~0.25 (measured 0.22 on LSTM), so int8 also
# bounds the mean difference.
# int16x8 (int16 activations, int8 weights) measured 0.012 on the LSTM toy but 0.27 / 0.33 on the GRU ones
# (int8: 0.13 / 0.11): its finer grid helps an LSTM cell state, not every recurrent model.
MAX_DIFF = {"none": 1e-4, "float16": 0.02, "dynamic": 0.05, "int8": 0.3, "int16x8": 0.4}
MEAN_DIFF_INT8 = 0.02


def _heldout(kind: str):
    return model_data(kind, HELDOUT, seed=99)


def _as_list(inputs):
    return inputs if isinstance(inputs, list) else [inputs]


def _run(model: keras.Model, path: str, inputs) -> np.ndarray:
    return Runtime(path).run_named(dict(zip(model.input_names, _as_list(inputs))))[0]


@pytest.mark.parametrize("kind", sorted(MODEL_BUILDERS))
def test_toy_models_learned_the_task(kind):
    inputs, targets = _heldout(kind)
    accuracy = np.mean(trained_model(kind).predict(inputs, verbose=0).argmax(-1) == targets)
    assert accuracy > 0.9  # chance is 1/3


# int16x8 on the GRU encoder-decoder toy: argmax agreement 0.978, max diff 0.61 (int8: 1.000, 0.095); on
# the GRU classifiers it is also less exact than int8, so it is a mode for LSTM-like states (docs/export.md).
INT16X8_NOT_FOR = ("encoder_decoder",)


@pytest.mark.parametrize("kind, quantize", [(kind, quantize) for kind in sorted(MODEL_BUILDERS) for quantize in
                                            QUANTIZE_MODES if not (quantize == "int16x8" and kind in INT16X8_NOT_FOR)])
def test_export_agrees_with_keras(kind, quantize, tmp_path):
    model = trained_model(kind)
    calibration_inputs, _ = model_data(kind, 100, seed=5)
    inputs, _ = _heldout(kind)
    path = tmp_path / f"{kind}_{quantize}.tflite"
    info = to_tflite(model, path, quantize=quantize, representative=calibration_inputs)

    expected = model.predict(inputs, verbose=0)
    got = _run(model, str(path), inputs).reshape(expected.shape)
    assert np.mean(got.argmax(-1) == expected.argmax(-1)) >= MIN_AGREEMENT
    assert np.max(np.abs(got - expected)) < MAX_DIFF[quantize]
    assert np.mean(np.abs(got - expected)) < MEAN_DIFF_INT8
    assert info["bytes"] == path.stat().st_size
    assert info["params"] == model.count_params()
    assert all(op.isupper() and not op.startswith("FLEX") and op != "CUSTOM" for op in info["ops"])
    assert "FULLY_CONNECTED" in info["ops"]
    assert not any("WHILE" in op for op in info["ops"])  # recurrences are unrolled explicit ops
    if quantize == "int8":
        assert info["bytes"] <= size_bound(info["params"], info["steps"], step_model=False)
        assert info["steps"] == STEPS
    if quantize == "none":
        # float32 stores 4 bytes per weight: at least that many bytes, i.e. weights are all there
        assert info["bytes"] >= 4 * info["params"]


def test_int8_io_model_takes_int8_inputs(tmp_path):
    model = trained_model("gru")
    inputs, _ = _heldout("gru")
    path = tmp_path / "gru_int8_io.tflite"
    to_tflite(model, path, quantize="int8", representative=model_data("gru", 100, seed=5)[0], int8_io=True)
    runtime = Runtime(str(path))
    assert runtime.is_int8_io
    expected = model.predict(inputs, verbose=0)
    assert np.mean(runtime.run(inputs)[0].argmax(-1) == expected.argmax(-1)) >= MIN_AGREEMENT


def test_int8_gru_stores_each_weight_once(tmp_path):
    """The keyword-spotting-sized GRU(64), 49 steps: facts file measured 173 KB, 3.5 KB/step."""
    steps, features, units = 49, 40, 64
    inputs = keras.Input((steps, features), name="x")
    hidden = keras.layers.GRU(units, name="rnn")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(12, activation="softmax", name="scores")(hidden))
    data = np.random.default_rng(0).normal(size=(32, steps, features)).astype(np.float32)
    info = to_tflite(model, tmp_path / "kws.tflite", quantize="int8", representative=data)
    params = model.count_params()  # 21,132
    assert info["bytes"] <= size_bound(params, steps, step_model=False)
    assert (info["bytes"] - params) / steps < 2_500  # graph bytes per unrolled step, measured ~2.1 KB
    float_info = to_tflite(model, tmp_path / "kws_float.tflite", quantize="none")
    assert info["bytes"] < float_info["bytes"]  # the int8 file is smaller than float, unlike Keras unroll


@pytest.mark.parametrize("kind", ["gru", "lstm", "simple_rnn", "cnn_gru"])
def test_int8_step_model_streams_like_the_sequence_model(kind, tmp_path):
    sequence_model = trained_model(kind)
    stepper = step_model(sequence_model)
    calibration_sequences, _ = model_data(kind, 60, seed=5)
    representative = calibration.step_inputs(stepper, calibration_sequences)
    path = tmp_path / f"{kind}_step_int8.tflite"
    info = to_tflite(stepper, path, quantize="int8", representative=representative)
    assert info["steps"] == 1
    assert info["bytes"] <= size_bound(info["params"], 1, step_model=True)

    sequences, _ = model_data(kind, 100, seed=99)
    expected = sequence_model.predict(sequences, verbose=0)
    runtime = StreamingRuntime(str(path))
    final = np.stack([runtime.run_sequence(sequence)[-1] for sequence in sequences])
    assert np.mean(final.argmax(-1) == expected.argmax(-1)) >= MIN_AGREEMENT
    assert np.max(np.abs(final - expected)) < MAX_DIFF["int8"]
    assert np.mean(np.abs(final - expected)) < MEAN_DIFF_INT8


def test_int16x8_lstm_step_model_streams_closer_than_int8(tmp_path):
    """int16x8 keeps int8 weights but int16 activations: the streamed LSTM cell state keeps its small updates.

    Measured on this toy: mean |p - Keras| after streaming 0.0040 (int8) vs 0.0005 (int16x8).
    """
    from ai_edge_litert.interpreter import Interpreter

    sequence_model = trained_model("lstm")
    stepper = step_model(sequence_model)
    representative = calibration.step_inputs(stepper, model_data("lstm", 60, seed=5)[0])
    sequences, _ = model_data("lstm", 100, seed=99)
    expected = sequence_model.predict(sequences, verbose=0)
    mean_diff = {}
    for quantize in ("int8", "int16x8"):
        path = tmp_path / f"lstm_step_{quantize}.tflite"
        to_tflite(stepper, path, quantize=quantize, representative=representative)
        runtime = StreamingRuntime(str(path))
        final = np.stack([runtime.run_sequence(sequence)[-1] for sequence in sequences])
        assert np.mean(final.argmax(-1) == expected.argmax(-1)) >= MIN_AGREEMENT
        mean_diff[quantize] = float(np.mean(np.abs(final - expected)))
    assert mean_diff["int16x8"] < mean_diff["int8"] / 3
    kinds = {str(tensor["dtype"].__name__) for tensor in Interpreter(str(path)).get_tensor_details()}
    assert {"int16", "int8"} <= kinds  # int16 activations beside the int8 weights


def test_int16x8_is_a_tflite_mode():
    from export import check_options
    from suite.errors import UserError

    with pytest.raises(UserError, match="int16x8 is a TFLite mode"):
        check_options("onnx", "int16x8", None, None)


def test_int8_softmax_runs_on_float_logits(tmp_path):
    """With float outputs the final softmax follows the DEQUANTIZE, so small probabilities survive."""
    from ai_edge_litert.interpreter import Interpreter

    model = trained_model("lstm")
    inputs, _ = _heldout("lstm")
    path = tmp_path / "lstm_int8.tflite"
    to_tflite(model, path, quantize="int8", representative=model_data("lstm", 100, seed=5)[0])
    interpreter = Interpreter(str(path))
    operators = [op["op_name"] for op in interpreter._get_ops_details()]
    assert operators[-2:] == ["DEQUANTIZE", "SOFTMAX"]
    expected = model.predict(inputs, verbose=0)
    got = _run(model, str(path), inputs).reshape(expected.shape)
    small = expected < 1.0 / 512  # an int8 softmax output (scale 1/256) rounds all of these to 0
    assert small.sum() > 20 and np.all(got[small] > 0)
    assert np.median(np.abs(np.log(got[small]) - np.log(expected[small]))) < 0.5


def test_int8_lstm_cell_state_is_clipped(tmp_path):
    """Full int8 bounds the LSTM cell state (state_out_1) and calibrates its input at the same bound."""
    from export.lowering import lower_model, lstm_cell_state_inputs
    from export.tflite import LSTM_CELL_CLIP

    step = step_model(trained_model("lstm"))
    assert [step.input_names[i] for i in lstm_cell_state_inputs(step)] == ["state_in_1"]
    frame = np.zeros((1, 1, step.inputs[0].shape[-1]), np.float32)
    hidden = np.zeros((1, step.inputs[1].shape[-1]), np.float32)
    huge_cell = np.full_like(hidden, 50.0)
    clipped = lower_model(step, cell_clip=LSTM_CELL_CLIP)(frame, hidden, huge_cell)
    unclipped = lower_model(step)(frame, hidden, huge_cell)
    assert np.max(np.abs(clipped[2].numpy())) <= LSTM_CELL_CLIP
    assert np.max(np.abs(unclipped[2].numpy())) > 40.0


@pytest.mark.parametrize("cell", ["gru", "lstm"])
def test_int8_state_that_the_gates_keep_stays_put(cell, tmp_path):
    """A saturated keep gate (GRU z = 1, LSTM f = 1 and i = 0) holds the state over 64 int8 steps.

    An int8 sigmoid reaches 255/256 at most. Used as the keep gate directly, the GRU state drifted
    by 0.068 here; the lowering feeds the state update 1 - gate instead, which reaches 0 exactly.
    (The LSTM cell state's coarser int8 step happened to round its leak away in this case.)
    """
    units, features = 8, 4
    inputs = keras.Input((None, features), name="x")
    layer = (keras.layers.GRU if cell == "gru" else keras.layers.LSTM)(units, name="rnn")
    model = keras.Model(inputs, keras.layers.Dense(3, name="head")(layer(inputs)))
    kernel, recurrent, bias = layer.get_weights()
    if cell == "gru":
        bias[0, :units] = 30.0  # update gate z = 1: keep h
    else:
        bias[:units], bias[units:2 * units] = -30.0, 30.0  # input gate 0, forget gate 1: keep c
    layer.set_weights([kernel, recurrent, bias])
    stepper = step_model(model)
    rng = np.random.default_rng(0)
    state_count = len(stepper.inputs) - 1
    representative = [rng.normal(size=(100, 1, features)).astype(np.float32)]
    representative += [rng.uniform(-0.9, 0.9, (100, units)).astype(np.float32) for _ in range(state_count)]
    path = tmp_path / f"{cell}_keep.tflite"
    to_tflite(stepper, path, quantize="int8", representative=representative)

    runtime = StreamingRuntime(str(path))
    start = {name: rng.uniform(-0.8, 0.8, (1, units)).astype(np.float32) for name in runtime.state_names}
    runtime.states = dict(start)
    for frame in rng.normal(size=(64, 1, 1, features)).astype(np.float32):
        runtime.step(frame)
    kept = "state_in_0" if cell == "gru" else "state_in_1"  # h for the GRU, c for the LSTM
    assert np.max(np.abs(runtime.states[kept] - start[kept])) < 0.03
