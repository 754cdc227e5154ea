"""Stepping a step model through a sequence equals the sequence model (max abs diff <= 1e-5)."""
from __future__ import annotations

import numpy as np
import pytest

from suite import build_model
from suite.cells import CELLS
from suite.streaming import compiled_step, initial_states, step_model

STEPS = 9
TOLERANCE = 1e-5


def _step_through(model, x):
    step = step_model(model)
    run = compiled_step(step)
    states = initial_states(step, batch_size=x.shape[0])
    outputs = []
    for t in range(x.shape[1]):
        y, states = run(x[:, t:t + 1], states)
        outputs.append(y.numpy())
    return step, outputs


@pytest.mark.parametrize("cell", CELLS.names())
@pytest.mark.parametrize("topology,input_shape,extra", [
    ("many_to_many", (None, 5), dict(residual=True, layer_norm=True)),
    ("many_to_one", (None, 5), dict(masking=True)),
    ("cnn_rnn", (None, 8, 8, 3), dict(conv_filters=(4,))),
    ("cnn_rnn", (None, 8, 8, 3), dict(conv_filters=(4,), batch_norm=True)),
])
def test_step_model_equals_sequence_model(cell, topology, input_shape, extra):
    model = build_model(topology, cell=cell, units=8, layers=2, input_shape=input_shape, output_size=4, **extra)
    x = np.random.default_rng(1).normal(size=(3, STEPS) + input_shape[1:]).astype("float32")
    full = model(x, training=False).numpy()
    step, outputs = _step_through(model, x)
    if topology == "many_to_many":
        stepped = np.concatenate(outputs, axis=1)
    else:
        stepped = outputs[-1]
    assert stepped.shape == full.shape
    assert np.abs(stepped - full).max() <= TOLERANCE
    states_per_layer = len(CELLS.get(cell).state_names)
    assert step.input_names[1:] == [f"state_in_{i}" for i in range(2 * states_per_layer)]
    assert step.output_names[1:] == [f"state_out_{i}" for i in range(2 * states_per_layer)]


def test_step_model_shares_weights():
    model = build_model("many_to_one", cell="gru", units=8, input_shape=(None, 5), output_size=4)
    step = step_model(model)
    kernel = model.get_layer("rnn_0_gru").cell.kernel
    kernel.assign(kernel * 0.5)
    shared = {id(v) for v in step.trainable_weights}
    assert {id(v) for v in model.trainable_weights} == shared


def test_step_model_can_be_built_twice_and_from_a_window_model_owner():
    model = build_model("many_to_many", cell="lstm", units=6, input_shape=(None, 3), output_size=2)
    first, second = step_model(model), step_model(model)
    x = np.random.default_rng(3).normal(size=(2, 1, 3)).astype("float32")
    states = initial_states(first, 2)
    for a, b in zip(first([x, *states]), second([x, *states])):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_step_model_rejects_time_mixing_layers():
    bidirectional = build_model("many_to_one", cell="gru", units=4, bidirectional=True, input_shape=(None, 3), output_size=2)
    with pytest.raises(ValueError, match="mixes time steps"):
        step_model(bidirectional)
    encoder_decoder = build_model("encoder_decoder", cell="gru", units=4, input_shape=(None, 3), output_size=2)
    with pytest.raises(ValueError, match="single sequence input"):
        step_model(encoder_decoder)


@pytest.mark.parametrize("cell,attention", [("gru", "dot"), ("lstm", "additive"), ("simple", None)])
def test_encoder_decoder_inference_models_equal_teacher_forcing(cell, attention):
    from suite.topologies.encoder_decoder import inference_models

    model = build_model("encoder_decoder", cell=cell, units=8, layers=2, bidirectional=True, residual=True,
                        input_shape=(7, 4), target_shape=(5, 3), output_size=3, attention=attention)
    rng = np.random.default_rng(2)
    source = rng.normal(size=(2, 7, 4)).astype("float32")
    target_in = rng.normal(size=(2, 5, 3)).astype("float32")
    full = model([source, target_in], training=False).numpy()
    encoder, decoder_step = inference_models(model)
    memory, *bridge = encoder(source, training=False)
    states = [s for s in bridge]
    states += initial_states(decoder_step, 2)[len(bridge) + 1:]  # deeper decoder layers start at zero
    outputs = []
    for t in range(5):
        y, *states = decoder_step([target_in[:, t:t + 1], memory, *states], training=False)
        outputs.append(y.numpy())
    assert np.abs(np.concatenate(outputs, axis=1) - full).max() <= TOLERANCE
