"""The layer registry (export/lowering.py) is the one place that knows layer classes.

ONNX conversion, the ONNX masking pass and pruning read its traits; these tests walk it, so a layer
kind one stage handles and the registry does not know (or the reverse) fails here.
"""
from __future__ import annotations

import numpy as np
import pytest

from export import onnx_export, onnx_masking
from export.lowering import (LAYER_KINDS, LayerKind, check_supported, kinds_with, layer_kind, lower_model,
                             recurrent_onnx_ops, register_lowering)
from export.prune import _prunable
from suite.errors import UserError
from suite.keras import keras
from tests.export_toy_models import MODEL_BUILDERS

STEPS, FEATURES = 7, 3


def _tfmot_prunable_class_names() -> set[str]:
    """Classes tfmot's pruning registry prunes a kernel of (recurrent layers: by their cells)."""
    from tensorflow_model_optimization.python.core.sparsity.keras.prune_registry import PruneRegistry

    plain = {cls.__name__ for cls, weights in PruneRegistry._LAYERS_WEIGHTS_MAP.items() if "kernel" in weights}
    return plain | {cls.__name__ for cls in PruneRegistry._RNN_LAYERS}


def test_both_onnx_passes_know_exactly_the_registered_recurrent_ops():
    ops = recurrent_onnx_ops()
    assert ops == {"GRU", "LSTM", "RNN"}
    assert onnx_export.RECURRENT_OPS == ops and onnx_masking.RECURRENT_OPS == ops


def test_every_recurrent_kind_has_a_native_onnx_op_and_its_stand_in_a_rewrite():
    recurrent = kinds_with(lambda kind: kind.cell is not None)
    assert {kind.class_name for kind in recurrent} == {"GRU", "LSTM", "SimpleRNN"}
    for kind in recurrent:
        assert kind.onnx_op in recurrent_onnx_ops(), kind.class_name
        if kind.onnx_stand_in is not None:
            assert kind.onnx_op in onnx_export.STAND_IN_WEIGHTS, kind.class_name
    # Every rewrite the ONNX export holds serves a registered kind.
    stand_in_ops = {kind.onnx_op for kind in kinds_with(lambda kind: kind.onnx_stand_in and not kind.wrapped)}
    assert set(onnx_export.STAND_IN_WEIGHTS) == stand_in_ops


def test_stand_in_rules_come_from_the_registry():
    layers = {
        "simple": keras.layers.SimpleRNN(3),
        "gru_reset_before": keras.layers.GRU(3, reset_after=False),
        "bidirectional_simple": keras.layers.Bidirectional(keras.layers.SimpleRNN(3)),
    }
    for name, layer in layers.items():
        assert onnx_export._stand_in_directions(layer), name
    bidirectional = layers["bidirectional_simple"]
    assert onnx_export._stand_in_directions(bidirectional) == [bidirectional.forward_layer,
                                                                 bidirectional.backward_layer]
    for layer in (keras.layers.GRU(3), keras.layers.LSTM(3), keras.layers.Bidirectional(keras.layers.LSTM(3)),
                  keras.layers.TimeDistributed(keras.layers.Dense(3)), keras.layers.Dense(3)):
        assert onnx_export._stand_in_directions(layer) is None, type(layer).__name__


def test_prunable_kinds_are_in_tfmot_and_wrappers_are_not():
    tfmot = _tfmot_prunable_class_names()
    prunable = {kind.class_name for kind in kinds_with(_prunable)}
    assert prunable == {"Dense", "Conv1D", "Conv2D", "GRU", "LSTM", "SimpleRNN"}
    assert prunable <= tfmot
    wrappers = {kind.class_name for kind in kinds_with(lambda kind: kind.wrapped is not None)}
    assert wrappers == {"Bidirectional", "TimeDistributed"}
    assert not wrappers & tfmot and not wrappers & prunable


def test_masking_kinds_are_what_the_onnx_masking_pass_removes():
    assert [kind.class_name for kind in kinds_with(lambda kind: kind.mask_value)] == ["Masking"]
    inputs = keras.Input((STEPS, FEATURES), name="x")
    masked = keras.layers.Masking(-1.0, name="mask")(inputs)
    model = keras.Model(inputs, keras.layers.GRU(2, name="rnn")(masked))
    clone, masks = onnx_masking.unmasked_clone(model)
    assert masks == {"x": -1.0}
    assert layer_kind(clone.get_layer("mask")).mask_value is None  # a pass-through now


@pytest.mark.parametrize("kind", list(MODEL_BUILDERS))
def test_every_layer_of_the_exported_toy_models_is_registered(kind):
    model = MODEL_BUILDERS[kind]()
    check_supported(model)
    for layer in model.layers:
        assert isinstance(layer_kind(layer), LayerKind) or type(layer).__name__ == "InputLayer", layer.name


def _cropping_model() -> keras.Model:
    inputs = keras.Input((STEPS, FEATURES), name="x")
    return keras.Model(inputs, keras.layers.Cropping1D((1, 2), name="crop")(inputs))


def test_registering_a_layer_kind_is_what_makes_it_exportable(monkeypatch):
    model = _cropping_model()
    with pytest.raises(UserError, match=r"'crop' \(Cropping1D\)"):
        check_supported(model)

    def crop(layer, x, kwargs, mask):
        start, end = layer.cropping
        return x[:, start:x.shape[1] - end]

    monkeypatch.setattr("export.lowering.LAYER_KINDS", dict(LAYER_KINDS))  # undone after the test
    register_lowering("Cropping1D", mixes_time=True)(crop)
    check_supported(model)
    data = np.random.default_rng(0).normal(size=(1, STEPS, FEATURES)).astype(np.float32)
    (got,) = lower_model(model)(data)
    np.testing.assert_allclose(np.asarray(got), model(data).numpy(), atol=1e-6)
    assert layer_kind(model.get_layer("crop")).mixes_time  # and --step reads the same record


def test_a_registered_kind_gets_every_stage_s_treatment(monkeypatch):
    """A new class registered with Dense's traits is prunable and lowered, with no other table to edit."""

    class ScaledDense(keras.layers.Dense):
        pass

    monkeypatch.setattr("export.lowering.LAYER_KINDS", dict(LAYER_KINDS))
    dense = LAYER_KINDS["Dense"]
    register_lowering("ScaledDense", passes_mask=dense.passes_mask, prunable=dense.prunable)(dense.lower)
    layer = ScaledDense(2)
    assert _prunable(layer_kind(layer))
    inputs = keras.Input((FEATURES,), name="x")
    model = keras.Model(inputs, layer(inputs))
    data = np.ones((1, FEATURES), np.float32)
    (got,) = lower_model(model)(data)
    np.testing.assert_allclose(np.asarray(got), model(data).numpy(), atol=1e-6)


def test_spec_inputs_draw_token_ids_below_the_registered_vocabulary():
    from export.calibration import spec_inputs

    assert [kind.class_name for kind in kinds_with(lambda kind: kind.vocabulary)] == ["Embedding"]
    tokens = keras.Input((STEPS,), dtype="int32", name="tokens")
    embedded = keras.layers.Embedding(5, 2, name="embed")(tokens)
    model = keras.Model(tokens, keras.layers.GRU(2, name="rnn")(embedded))
    (drawn,) = spec_inputs(model, 64)
    assert drawn.min() >= 0 and drawn.max() == 4  # uniform below input_dim 5, not 0/1
