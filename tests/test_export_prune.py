"""export/prune.py: tfmot magnitude pruning reaches its sparsity, keeps the task, and exports."""
from __future__ import annotations

import numpy as np
import pytest

from export.onnx_export import to_onnx
from export.prune import prune_model
from export.runtime import Runtime
from suite.errors import UserError
from suite.keras import keras
from tests.export_toy_models import model_data, trained_model

SPARSITY = 0.5
TOLERANCE = 0.02


@pytest.fixture(scope="module")
def pruned_gru():
    model = trained_model("gru")
    before = [w.copy() for w in model.get_weights()]
    stripped, report = prune_model(model, SPARSITY, model_data("gru", 512, seed=3), epochs=2,
                                   eval_data=model_data("gru", 200, seed=1))
    return model, before, stripped, report


def test_each_kernel_reaches_the_target_sparsity(pruned_gru):
    _, _, stripped, report = pruned_gru
    assert set(report["kernel_sparsity"]) == {"rnn/kernel", "rnn/recurrent_kernel", "scores/kernel"}
    for name, sparsity in report["kernel_sparsity"].items():
        assert abs(sparsity - SPARSITY) <= TOLERANCE, (name, sparsity)
    assert abs(report["sparsity"] - SPARSITY) <= TOLERANCE
    kernel = stripped.get_layer("rnn").get_weights()[0]
    assert abs(np.mean(kernel == 0) - SPARSITY) <= TOLERANCE  # measured on the stripped model itself


def test_pruning_keeps_the_task_and_shrinks_gzip_size(pruned_gru):
    model, before, _, report = pruned_gru
    assert report["metrics_before"]["accuracy"] > 0.9
    assert report["metrics_after"]["accuracy"] > 0.85
    assert report["gzip_bytes_after"] < report["gzip_bytes_before"]
    for original, now in zip(before, model.get_weights()):  # the input model is left untouched
        np.testing.assert_array_equal(original, now)


def test_stripped_model_is_plain_keras_and_exports(pruned_gru, tmp_path):
    _, _, stripped, _ = pruned_gru
    assert [layer.name for layer in stripped.layers] == ["x", "rnn", "scores"]
    info = to_onnx(stripped, tmp_path / "pruned.onnx")
    assert info["op_counts"]["GRU"] == 1
    x, _ = model_data("gru", 64, seed=1)
    exported = Runtime(info["path"]).run(x)[0]
    np.testing.assert_allclose(exported, stripped.predict(x, verbose=0), atol=1e-5)


def test_bidirectional_layers_are_skipped_with_a_note():
    inputs = keras.Input((6, 3), name="x")
    hidden = keras.layers.Bidirectional(keras.layers.GRU(4, name="gru"), name="bi")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax", name="scores")(hidden))
    x = np.random.default_rng(0).normal(size=(64, 6, 3)).astype(np.float32)
    y = (x[:, :, 0].mean(axis=1) > 0).astype(np.int64)
    stripped, report = prune_model(model, SPARSITY, (x, y), epochs=1)
    assert report["pruned_layers"] == ["scores"]
    assert report["skipped_layers"] and report["skipped_layers"][0].startswith("bi (Bidirectional")
    assert np.mean(stripped.get_layer("scores").get_weights()[0] == 0) == pytest.approx(SPARSITY, abs=0.07)


def test_sparsity_out_of_range_is_a_user_error():
    with pytest.raises(UserError, match="between 0 and 1"):
        prune_model(trained_model("gru"), 1.5, model_data("gru", 8, seed=0))
