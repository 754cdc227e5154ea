"""Shared builder test harness (keras-hub style): config round-trip, shapes, a few fit steps, save/load."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from suite import ModelSpec
from suite.keras import keras, tf

BATCH = 8


def toy_inputs(model: keras.Model, seed: int = 0) -> list[np.ndarray]:
    """Random inputs matching the model's inputs, with unknown time dims set to 6 steps."""
    rng = np.random.default_rng(seed)
    arrays = []
    for tensor in model.inputs:
        shape = [BATCH] + [6 if d is None else int(d) for d in tensor.shape[1:]]
        arrays.append(rng.normal(size=shape).astype("float32"))
    return arrays


def learnable_targets(model: keras.Model, inputs: list[np.ndarray]) -> np.ndarray:
    """Class targets derived from the inputs (sign of the first feature's mean), so the loss can fall."""
    output_shape = model.compute_output_shape([x.shape for x in inputs] if len(inputs) > 1 else inputs[0].shape)
    classes = int(output_shape[-1])
    signal = inputs[0].reshape(BATCH, -1).mean(axis=1)
    labels = (signal > np.median(signal)).astype("int64") % classes
    if len(output_shape) == 3:  # per-step outputs: the same label at every step
        labels = np.repeat(labels[:, None], int(output_shape[1]), axis=1)
    return labels


def run_builder_test(spec: ModelSpec, expected_shape: tuple, tmp_path: Path, fit_steps: int = 8) -> dict:
    """Check one builder configuration end to end; returns the measured numbers for extra asserts."""
    model = spec.build()

    # 1. Config round-trip: the JSON spec rebuilds the same architecture (Keras's own config
    #    round-trip is exercised by the save/load step below).
    again = ModelSpec.from_dict(spec.to_dict()).build()
    assert again.count_params() == model.count_params()
    assert [l.name for l in again.layers] == [l.name for l in model.layers]

    # 2. Output shape.
    inputs = toy_inputs(model)
    feed = inputs if len(inputs) > 1 else inputs[0]
    outputs = model(feed, training=False).numpy()
    assert outputs.shape == tuple(BATCH if d is None else d for d in expected_shape), outputs.shape
    assert np.all(np.isfinite(outputs))

    # 3. A few fit steps on a learnable batch lower the loss. Eager steps: tracing a train
    #    function costs more than eight tiny eager steps.
    targets = learnable_targets(model, inputs)
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    optimizer = keras.optimizers.Adam(0.02)
    before = float(loss_fn(targets, model(feed, training=False)))
    for _ in range(fit_steps):
        with tf.GradientTape() as tape:
            loss = loss_fn(targets, model(feed, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, model.trainable_variables), model.trainable_variables))
    after = float(loss_fn(targets, model(feed, training=False)))
    assert after < before, (before, after)

    # 4. Save/load round-trip gives identical outputs.
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path, compile=False)
    np.testing.assert_array_equal(loaded(feed, training=False).numpy(), model(feed, training=False).numpy())
    return {"loss_before": before, "loss_after": after, "params": model.count_params()}
