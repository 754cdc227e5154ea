"""ONNX export: native recurrent ops (never Loop), checker, parity with Keras, int8 size, step models."""
from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from export.onnx_export import FORBIDDEN_OPS, RECURRENT_OPS, to_onnx
from export.report import size_bound
from export.runtime import Runtime, StreamingRuntime
from suite.keras import keras
from suite.streaming import step_model
from tests.export_toy_models import CLASSES, MODEL_BUILDERS, model_data, trained_model

HELD_OUT = 200
CALIBRATION = 64
# Native op(s) each toy model kind must turn into.
EXPECTED_RECURRENT_OPS = {
    "gru": {"GRU": 1}, "lstm": {"LSTM": 1}, "simple_rnn": {"RNN": 1}, "bidirectional_gru": {"GRU": 1},
    "cnn_gru": {"GRU": 1}, "encoder_decoder": {"GRU": 2},
}
FLOAT_TOLERANCE = 1e-4
MIN_INT8_AGREEMENT = 0.99  # the default threshold for classifiers
STEP_KINDS = ["gru", "lstm", "simple_rnn", "cnn_gru"]
# float16 and dynamic on every kind: about 25 s of the default run (2 cores).
LIGHT_MODES = [(kind, mode) for kind in MODEL_BUILDERS for mode in ("float16", "dynamic")]


def _as_list(inputs) -> list[np.ndarray]:
    return list(inputs) if isinstance(inputs, list) else [inputs]


def _run_onnx(model: keras.Model, path: str, inputs) -> np.ndarray:
    runtime = Runtime(path)
    names = [t.name.split(":")[0] for t in model.inputs]
    return runtime.run_named(dict(zip(names, _as_list(inputs))))[0]


def _export(kind: str, quantize: str, tmp_path) -> tuple[dict, onnx.ModelProto]:
    model = trained_model(kind)
    calibration = model_data(kind, CALIBRATION, seed=2)[0]
    info = to_onnx(model, tmp_path / f"{kind}_{quantize}.onnx", quantize, representative=calibration)
    return info, onnx.load(info["path"])


def _step_model_of(model: keras.Model) -> keras.Model:
    """step_model of a copy: step_model calls the model's layers again, and the trained models are
    shared by the whole test session (a second step_model of the same model would fail)."""
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return step_model(copy)


def _recurrent_weight_types(proto: onnx.ModelProto) -> list[int]:
    """Element type stored for each recurrent W and R (following a DequantizeLinear/Reshape/Cast chain)."""
    initializers = {i.name: i for i in proto.graph.initializer}
    producers = {out: node for node in proto.graph.node for out in node.output}
    types = []
    for node in proto.graph.node:
        if node.op_type not in RECURRENT_OPS:
            continue
        for name in node.input[1:3]:
            while name not in initializers:
                name = producers[name].input[0]
            types.append(initializers[name].data_type)
    return types


@pytest.mark.parametrize("quantize", ["none", "int8"])
@pytest.mark.parametrize("kind", list(MODEL_BUILDERS))
def test_export_uses_native_recurrent_ops_and_agrees_with_keras(kind, quantize, tmp_path):
    info, proto = _export(kind, quantize, tmp_path)
    onnx.checker.check_model(proto)
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17
    assert not FORBIDDEN_OPS & set(info["op_counts"]), info["op_counts"]
    for op, count in EXPECTED_RECURRENT_OPS[kind].items():
        assert info["op_counts"].get(op) == count, info["op_counts"]

    model = trained_model(kind)
    inputs, targets = model_data(kind, HELD_OUT, seed=1)
    expected = model.predict(inputs, verbose=0)
    exported = _run_onnx(model, info["path"], inputs)
    agreement = np.mean(exported.argmax(-1) == expected.argmax(-1))
    assert np.mean(exported.argmax(-1) == targets) > 0.8  # the task is learned (chance is 1/CLASSES)
    if quantize == "none":
        assert np.abs(exported - expected).max() < FLOAT_TOLERANCE
        assert agreement == 1.0
    else:
        assert agreement >= MIN_INT8_AGREEMENT, agreement
        # Mean, not max: one borderline sample flipping class moves its probabilities by ~1.
        assert np.abs(exported - expected).mean() < 0.02
        assert set(_recurrent_weight_types(proto)) == {onnx.TensorProto.INT8}
        assert info["bytes"] <= size_bound(info["params"], 0, step_model=True)
        assert "DequantizeLinear" not in info["op_counts"]
        _assert_weights_fold_to_float_constants(kind, info["path"], tmp_path)


def test_bidirectional_gru_is_one_bidirectional_node(tmp_path):
    _, proto = _export("bidirectional_gru", "none", tmp_path)
    (gru,) = [n for n in proto.graph.node if n.op_type == "GRU"]
    attributes = {a.name: a for a in gru.attribute}
    assert attributes["direction"].s == b"bidirectional"
    assert attributes["linear_before_reset"].i == 1  # Keras reset_after=True


@pytest.mark.parametrize("kind,quantize", LIGHT_MODES)
def test_float16_and_dynamic_modes(kind, quantize, tmp_path):
    info, proto = _export(kind, quantize, tmp_path)
    onnx.checker.check_model(proto)
    assert not FORBIDDEN_OPS & set(info["op_counts"])
    model = trained_model(kind)
    inputs, _ = model_data(kind, HELD_OUT, seed=1)
    expected = model.predict(inputs, verbose=0)
    exported = _run_onnx(model, info["path"], inputs)
    assert np.mean(exported.argmax(-1) == expected.argmax(-1)) >= MIN_INT8_AGREEMENT
    if quantize == "float16":
        assert np.abs(exported - expected).max() < 1e-2
        assert onnx.TensorProto.FLOAT16 in set(_recurrent_weight_types(proto))
    else:
        assert set(_recurrent_weight_types(proto)) == {onnx.TensorProto.INT8}
        # Not "smaller than float": on models under ~1,000 parameters the MatMulInteger nodes cost
        # more bytes than int8 saves (simple_rnn: 5,543 vs 4,073). The bound still holds.
        assert info["bytes"] <= size_bound(info["params"], 0, step_model=True)


def test_keyword_spotting_sized_gru_int8_stores_each_weight_once(tmp_path):
    """GRU(64) over 49 x 40 features, 12 classes: float ~4 bytes/param, int8 about 1.2."""
    inputs = keras.Input((49, 40), name="x")
    hidden = keras.layers.GRU(64, name="gru")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(12, activation="softmax", name="scores")(hidden))
    calibration = np.random.default_rng(0).normal(size=(32, 49, 40)).astype(np.float32)
    float_info = to_onnx(model, tmp_path / "kws.onnx")
    int8_info = to_onnx(model, tmp_path / "kws_int8.onnx", "int8", representative=calibration)
    params = model.count_params()
    assert params == 3 * 64 * (40 + 64) + 2 * 3 * 64 + 64 * 12 + 12
    assert float_info["bytes"] > 4 * params
    assert int8_info["bytes"] <= size_bound(params, 0, step_model=True)
    assert int8_info["bytes_per_param"] < 1.5
    expected = model.predict(calibration, verbose=0)
    exported = Runtime(int8_info["path"]).run(calibration)[0]
    assert np.abs(exported - expected).max() < 0.01
    assert np.mean(exported.argmax(-1) == expected.argmax(-1)) >= 0.95


def _optimized_by_onnxruntime(path, tmp_path) -> onnx.ModelProto:
    """The graph ONNX Runtime actually runs, after its load-time optimizations."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.optimized_model_filepath = str(tmp_path / "optimized.onnx")
    options.log_severity_level = 3  # it warns that the saved graph is specific to this CPU
    onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    return onnx.load(options.optimized_model_filepath)


def _assert_weights_fold_to_float_constants(kind: str, path: str, tmp_path) -> None:
    """Recurrent kernels only pre-pack constant weights: a weight computed at run time (for example by
    DequantizeLinear, which ONNX Runtime does not fold) made int8 1.2-1.6x slower than float."""
    optimized = _optimized_by_onnxruntime(path, tmp_path)
    initializers = {i.name: numpy_helper.to_array(i) for i in optimized.graph.initializer}
    assert not [name for name, array in initializers.items() if array.dtype == np.int8]  # all folded
    recurrent_ops = [n for n in optimized.graph.node if n.op_type in RECURRENT_OPS]
    assert recurrent_ops
    for node in recurrent_ops:
        assert all(initializers[name].dtype == np.float32 for name in node.input[1:3]), node
    if kind not in ("gru", "lstm"):
        return
    # The folded recurrent weight is the Keras weight to within half an int8 step of its gate row.
    (recurrent,) = [n for n in optimized.graph.node if n.op_type in RECURRENT_OPS]
    folded = initializers[recurrent.input[2]][0]  # R: [gates * units, units] of the one direction
    kernel = trained_model(kind).get_layer("rnn").get_weights()[1]  # recurrent kernel [units, gates * units]
    units = kernel.shape[0]
    gate_order = {"GRU": [0, 1, 2], "LSTM": [0, 3, 1, 2]}[recurrent.op_type]  # Keras z,r,h / i,f,c,o -> ONNX
    keras_rows = np.concatenate([kernel.T[g * units:(g + 1) * units] for g in gate_order])
    half_step = np.abs(keras_rows).max(axis=1, keepdims=True) / 127 / 2
    assert np.all(np.abs(folded - keras_rows) <= half_step + 1e-7)
    assert np.abs(folded - keras_rows).max() > 0  # it was quantized, not stored as float


@pytest.mark.parametrize("kind", STEP_KINDS)
def test_step_model_streams_like_the_sequence_model(kind, tmp_path):
    model = trained_model(kind)
    step = _step_model_of(model)
    info = to_onnx(step, tmp_path / f"step_{kind}.onnx")
    state_count = len(step.inputs) - 1
    assert info["inputs"] == ["x"] + [f"state_in_{i}" for i in range(state_count)]
    assert info["outputs"][1:] == [f"state_out_{i}" for i in range(state_count)]
    recurrent = [n for n in onnx.load(info["path"]).graph.node if n.op_type in RECURRENT_OPS]
    assert len(recurrent) == 1 and recurrent[0].input[5]  # initial_h is wired to state_in_0
    assert not FORBIDDEN_OPS & set(info["op_counts"])

    sequences, _ = model_data(kind, 16, seed=1)
    expected = model.predict(sequences, verbose=0)
    runtime = StreamingRuntime(info["path"])
    streamed = np.stack([runtime.run_sequence(sequence)[-1] for sequence in sequences])
    assert np.abs(streamed - expected).max() < FLOAT_TOLERANCE


def test_int8_step_model_streams_within_tolerance(tmp_path):
    model = trained_model("gru")
    step = _step_model_of(model)
    float_runtime = StreamingRuntime(to_onnx(step, tmp_path / "step.onnx")["path"])
    sequences, targets = model_data("gru", 64, seed=1)
    # Calibration frames with the states the float step model reaches at them.
    frames, states = [], []
    for sequence in sequences[:16]:
        float_runtime.reset()
        for frame in sequence:
            frames.append(frame[None])
            states.append(float_runtime.states["state_in_0"][0])
            float_runtime.step(frame)
    info = to_onnx(step, tmp_path / "step_int8.onnx", "int8",
                   representative=[np.stack(frames), np.stack(states)])
    assert info["bytes"] <= size_bound(info["params"], 0, step_model=True)
    runtime = StreamingRuntime(info["path"])
    streamed = np.stack([runtime.run_sequence(sequence)[-1] for sequence in sequences])
    expected = model.predict(sequences, verbose=0)
    assert np.mean(streamed.argmax(-1) == expected.argmax(-1)) >= MIN_INT8_AGREEMENT
    assert np.mean(streamed.argmax(-1) == targets) > 1.0 / CLASSES + 0.4


def test_simple_rnn_becomes_onnx_rnn_with_keras_weights(tmp_path):
    model = trained_model("simple_rnn")
    proto = onnx.load(to_onnx(model, tmp_path / "rnn.onnx")["path"])
    (node,) = [n for n in proto.graph.node if n.op_type == "RNN"]
    initializers = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    kernel, recurrent, bias = model.get_layer("rnn").get_weights()
    np.testing.assert_array_equal(initializers[node.input[1]][0], kernel.T)
    np.testing.assert_array_equal(initializers[node.input[2]][0], recurrent.T)
    np.testing.assert_array_equal(initializers[node.input[3]][0][: len(bias)], bias)


def _right_padded(lengths: list[int], steps: int = 9, features: int = 3) -> np.ndarray:
    x = np.random.default_rng(4).normal(size=(len(lengths), steps, features)).astype(np.float32)
    for row, length in enumerate(lengths):
        x[row, length:] = 0.0  # the Masking layer's mask_value
    return x


@pytest.mark.parametrize("cell,op", [("gru", "GRU"), ("lstm", "LSTM"), ("simple", "RNN")])
def test_masked_stack_exports_with_sequence_lens(cell, op, tmp_path):
    """Masking on the input: native ops fed sequence_lens, equal to Keras on right-padded batches."""
    from suite import build_model

    keras.utils.set_random_seed(3)
    model = build_model("many_to_one", cell=cell, units=6, layers=2, input_shape=(None, 3), output_size=4,
                        masking=True)
    path = tmp_path / f"masked_{cell}.onnx"
    info = to_onnx(model, path)
    proto = onnx.load(str(path))
    recurrent = [node for node in proto.graph.node if node.op_type == op]
    assert len(recurrent) == 2 and not FORBIDDEN_OPS & set(info["ops"])
    assert all(node.input[4] == "masking_sequence_lens" for node in recurrent)
    x = _right_padded([9, 7, 4, 1, 6])
    expected = model(x).numpy()
    np.testing.assert_allclose(Runtime(str(path)).run(x)[0], expected, atol=1e-5)
    unpadded = model(x[2:3, :4]).numpy()  # the 4-step sequence alone, without padding
    np.testing.assert_allclose(expected[2:3], unpadded, atol=1e-6)


@pytest.mark.parametrize("cell,op", [("gru", "GRU"), ("lstm", "LSTM"), ("simple", "RNN")])
def test_masked_bidirectional_stack_equals_keras(cell, op, tmp_path):
    """Bidirectional nodes fed sequence_lens: the reverse direction starts at each sequence's own last
    step, and the forward direction's final output is read from Y_h, as Keras masking does."""
    from suite import build_model

    keras.utils.set_random_seed(3)
    model = build_model("many_to_one", cell=cell, units=6, layers=2, bidirectional=True, input_shape=(None, 3),
                        output_size=4, masking=True)
    path = tmp_path / f"masked_bi_{cell}.onnx"
    to_onnx(model, path)
    recurrent = [node for node in onnx.load(str(path)).graph.node if node.op_type == op]
    assert len(recurrent) == 2
    assert all(node.input[4] == "masking_sequence_lens" for node in recurrent)
    assert all(attribute.s == b"bidirectional" for node in recurrent for attribute in node.attribute
               if attribute.name == "direction")
    x = _right_padded([9, 7, 4, 1, 6])
    expected = model(x).numpy()
    np.testing.assert_allclose(Runtime(str(path)).run(x)[0], expected, atol=1e-5)
    alone = model(x[3:4, :1]).numpy()  # the 1-step sequence without its padding
    np.testing.assert_allclose(expected[3:4], alone, atol=1e-6)


def test_frame_cnn_keeps_one_layout_change(tmp_path):
    """TimeDistributed conv blocks: no Transpose pair around each layer (2 in all, at the CNN's
    ends), batch norm folded into the convolutions, outputs equal to Keras."""
    from suite import build_model

    keras.utils.set_random_seed(5)
    model = build_model("cnn_rnn", cell="gru", units=6, input_shape=(4, 16, 16, 3), output_size=3,
                        conv_filters=(4, 8, 8), batch_norm=True)
    frames = np.random.default_rng(6).uniform(-1, 1, size=(2, 4, 16, 16, 3)).astype(np.float32)
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(frames, np.array([0, 1]), epochs=1, verbose=0)  # moving statistics away from the identity
    path = tmp_path / "cnn.onnx"
    info = to_onnx(model, path)
    assert info["op_counts"]["Transpose"] <= 2 and info["op_counts"]["Conv"] == 3
    assert "BatchNormalization" not in info["op_counts"]
    np.testing.assert_allclose(Runtime(str(path)).run(frames)[0], model(frames).numpy(), atol=1e-5)
