"""ONNX export of GRU(reset_after=False): a native ONNX GRU with linear_before_reset=0, no Loop."""
from __future__ import annotations

import numpy as np
import onnx
import pytest

from export.onnx_export import to_onnx
from export.runtime import Runtime
from suite.keras import keras

STEPS, FEATURES, UNITS = 7, 3, 5


@pytest.mark.parametrize("bidirectional", [False, True])
def test_reset_before_gru_is_a_native_gru_matching_keras(tmp_path, bidirectional):
    keras.utils.set_random_seed(4)
    inputs = keras.Input((STEPS, FEATURES), name="x")
    gru = keras.layers.GRU(UNITS, reset_after=False, return_sequences=True, name="rnn")
    hidden = keras.layers.Bidirectional(gru, name="bi")(inputs) if bidirectional else gru(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="out")(hidden))
    for layer in model.layers:  # non-zero biases, so a misplaced bias would show
        layer.set_weights([w + 0.3 if w.ndim == 1 else w for w in layer.get_weights()])
    info = to_onnx(model, tmp_path / "m.onnx", "none")
    proto = onnx.load(tmp_path / "m.onnx")
    grus = [node for node in proto.graph.node if node.op_type == "GRU"]
    assert len(grus) == 1 and "Loop" not in info["ops"]
    attributes = {a.name: a for a in grus[0].attribute}
    assert attributes["linear_before_reset"].i == 0  # Keras reset_after=False
    x = np.random.default_rng(0).normal(size=(4, STEPS, FEATURES)).astype(np.float32)
    exported = Runtime(str(tmp_path / "m.onnx")).run_named({"x": x})[0]
    np.testing.assert_allclose(exported, model.predict(x, verbose=0), atol=1e-5)
