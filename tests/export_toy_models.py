"""Tiny recurrent models trained for a few seconds on a toy task, shared by the export tests.

Task: a pulse of +2 sits at one random step of feature 0 in noisy sequences; the class is the
third of the sequence the pulse is in (3 classes, chance 33%). A model must remember the
pulse position, so a trained model's agreement with its export means something.
"""
from __future__ import annotations

import functools

import numpy as np

from suite.keras import keras

STEPS = 12
FEATURES = 4
CLASSES = 3
UNITS = 16
FRAME = 6  # CNN+GRU frames are FRAME x FRAME x 1
DECODER_STEPS = 3


def pulse_task(count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(0.0, 0.3, size=(count, STEPS, FEATURES)).astype(np.float32)
    positions = rng.integers(0, STEPS, size=count)
    x[np.arange(count), positions, 0] += 2.0
    return x, (positions * CLASSES // STEPS).astype(np.int64)


def frames_from(x: np.ndarray) -> np.ndarray:
    """Video-like input: each step becomes a FRAME x FRAME image lit by feature 0."""
    rng = np.random.default_rng(len(x))
    frames = rng.normal(0.0, 0.2, size=(len(x), STEPS, FRAME, FRAME, 1)).astype(np.float32)
    frames[:, :, 1:4, 1:4, 0] += x[:, :, :1, None]
    return frames


def _recurrent_classifier(name: str, make_rnn) -> keras.Model:
    inputs = keras.Input((STEPS, FEATURES), name="x")
    hidden = make_rnn()(inputs)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="scores")(hidden)
    return keras.Model(inputs, outputs, name=name)


def _cnn_gru() -> keras.Model:
    inputs = keras.Input((STEPS, FRAME, FRAME, 1), name="x")
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(4, 3, activation="relu", name="conv"), name="td_conv")(inputs)
    x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2, name="pool"), name="td_pool")(x)
    x = keras.layers.TimeDistributed(keras.layers.Flatten(name="flat"), name="td_flat")(x)
    x = keras.layers.GRU(UNITS, name="rnn")(x)
    outputs = keras.layers.Dense(CLASSES, activation="softmax", name="scores")(x)
    return keras.Model(inputs, outputs, name="cnn_gru")


def _encoder_decoder() -> keras.Model:
    """GRU encoder, GRU decoder started from its state, dot attention over the encoder outputs."""
    encoder_in = keras.Input((STEPS, FEATURES), name="encoder_in")
    decoder_in = keras.Input((DECODER_STEPS, 1), name="decoder_in")
    encoded, state = keras.layers.GRU(UNITS, return_sequences=True, return_state=True, name="encoder")(encoder_in)
    decoded = keras.layers.GRU(UNITS, return_sequences=True, name="decoder")(decoder_in, initial_state=state)
    context = keras.layers.Attention(name="attention")([decoded, encoded])
    joined = keras.layers.Concatenate(name="joined")([decoded, context])
    outputs = keras.layers.TimeDistributed(keras.layers.Dense(CLASSES, activation="softmax", name="dense"),
                                           name="scores")(joined)
    return keras.Model([encoder_in, decoder_in], outputs, name="encoder_decoder")


MODEL_BUILDERS = {
    "gru": lambda: _recurrent_classifier("gru", lambda: keras.layers.GRU(UNITS, name="rnn")),
    "lstm": lambda: _recurrent_classifier("lstm", lambda: keras.layers.LSTM(UNITS, name="rnn")),
    "simple_rnn": lambda: _recurrent_classifier("simple_rnn", lambda: keras.layers.SimpleRNN(UNITS, name="rnn")),
    "bidirectional_gru": lambda: _recurrent_classifier(
        "bidirectional_gru", lambda: keras.layers.Bidirectional(keras.layers.GRU(UNITS // 2), name="rnn")),
    "cnn_gru": _cnn_gru,
    "encoder_decoder": _encoder_decoder,
}


def model_data(kind: str, count: int, seed: int) -> tuple[list[np.ndarray] | np.ndarray, np.ndarray]:
    """Inputs and integer targets shaped for ``kind``."""
    x, labels = pulse_task(count, seed)
    if kind == "cnn_gru":
        return frames_from(x), labels
    if kind == "encoder_decoder":
        decoder_in = np.tile(np.arange(DECODER_STEPS, dtype=np.float32)[None, :, None], (count, 1, 1))
        return [x, decoder_in], np.repeat(labels[:, None], DECODER_STEPS, axis=1)
    return x, labels


def train_toy_model(kind: str, epochs: int = 6, seed: int = 0) -> keras.Model:
    keras.utils.set_random_seed(seed)
    model = MODEL_BUILDERS[kind]()
    inputs, targets = model_data(kind, 768, seed=seed)
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="sparse_categorical_crossentropy")
    model.fit(inputs, targets, epochs=epochs, batch_size=64, verbose=0)
    return model


def accuracy(model: keras.Model, inputs, targets: np.ndarray) -> float:
    return float(np.mean(model.predict(inputs, verbose=0).argmax(-1) == targets))


@functools.cache
def trained_model(kind: str) -> keras.Model:
    """One trained model per kind per test session, shared by every test file."""
    return train_toy_model(kind)
