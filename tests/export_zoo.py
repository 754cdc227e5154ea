"""User-style models written directly with Keras 3 (``import keras``) or tf_keras, not with the suite's builders.

Both flavours share the layer API, so each zoo entry is one function of the flavour's module.
They learn the pulse task of tests/export_toy_models.py (3 classes, chance 33%).
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Callable

import numpy as np

from tests.export_toy_models import CLASSES, FEATURES, STEPS, pulse_task

UNITS = 12
TRAIN_SAMPLES = 768


def flavour_module(flavour: str) -> Any:
    """``keras`` (Keras 3) or tf_keras; tf.keras is tf_keras in this project (suite/keras.py)."""
    if flavour == "keras3":
        import keras

        return keras
    from suite.keras import keras

    return keras


def _classifier(k: Any, body: Callable[[Any, Any], Any], name: str) -> Any:
    inputs = k.Input((STEPS, FEATURES), name="x")
    outputs = k.layers.Dense(CLASSES, activation="softmax", name="scores")(body(k, inputs))
    return k.Model(inputs, outputs, name=name)


ZOO: dict[str, Callable[[Any], Any]] = {
    "gru": lambda k: _classifier(k, lambda k, x: k.layers.GRU(UNITS)(x), "gru"),
    "gru_reset_before": lambda k: _classifier(k, lambda k, x: k.layers.GRU(UNITS, reset_after=False)(x), "gru_rb"),
    "lstm": lambda k: _classifier(k, lambda k, x: k.layers.LSTM(UNITS)(x), "lstm"),
    "simple_rnn": lambda k: _classifier(k, lambda k, x: k.layers.SimpleRNN(UNITS)(x), "simple_rnn"),
}


def train(flavour: str, kind: str, epochs: int = 6, seed: int = 0) -> Any:
    k = flavour_module(flavour)
    k.utils.set_random_seed(seed)
    model = ZOO[kind](k)
    inputs, targets = pulse_task(TRAIN_SAMPLES, seed)
    model.compile(optimizer=k.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    model.fit(inputs, targets, epochs=epochs, batch_size=64, verbose=0)
    return model


@functools.cache
def saved(flavour: str, kind: str, folder: str, suffix: str = ".keras") -> Path:
    """Train once per session and save as a bare file in ``folder``."""
    path = Path(folder) / f"{flavour}_{kind}{suffix}"
    train(flavour, kind).save(path)
    return path


def calibration_npz(path: Path, count: int = 400, seed: int = 42) -> Path:
    inputs, targets = pulse_task(count, seed)
    np.savez(path, inputs=inputs, targets=targets)
    return path
