"""The explicit-op lowering equals Keras in float32 (no training needed: exact arithmetic)."""
from __future__ import annotations

import numpy as np
import pytest

from export.lowering import lower_model
from suite.errors import UserError
from suite.keras import keras

STEPS, FEATURES = 7, 3


def _compare(model: keras.Model, inputs: list[np.ndarray], tolerance: float = 1e-5) -> None:
    function = lower_model(model)
    for index in range(len(inputs[0])):
        got = function(*[array[index:index + 1] for array in inputs])
        expected = model([array[index:index + 1] for array in inputs] if len(inputs) > 1 else inputs[0][index:index + 1])
        for g, e in zip(got, expected if isinstance(expected, list) else [expected]):
            np.testing.assert_allclose(np.asarray(g), np.asarray(e), atol=tolerance)


def _sequences(count: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(count, STEPS, FEATURES)).astype(np.float32)


@pytest.mark.parametrize("make_rnn", [
    lambda: keras.layers.GRU(5, return_sequences=True, go_backwards=True, name="rnn"),
    lambda: keras.layers.LSTM(5, return_sequences=True, name="rnn"),
    lambda: keras.layers.SimpleRNN(5, activation="relu", name="rnn"),
    lambda: keras.layers.Bidirectional(keras.layers.GRU(4, return_sequences=True), merge_mode="sum", name="rnn"),
    lambda: keras.layers.Bidirectional(keras.layers.LSTM(4), merge_mode="concat", name="rnn"),
    # gates whose activation is not symmetric keep their columns (no 1 - gate folding)
    lambda: keras.layers.GRU(5, recurrent_activation="tanh", return_sequences=True, name="rnn"),
    lambda: keras.layers.LSTM(5, recurrent_activation="relu", name="rnn"),
    lambda: keras.layers.LSTM(5, recurrent_activation="hard_sigmoid", name="rnn"),
], ids=["gru_backwards", "lstm_sequences", "simple_relu", "bigru_sum", "bilstm_concat", "gru_tanh_gates",
        "lstm_relu_gates", "lstm_hard_sigmoid_gates"])
def test_recurrent_lowering_matches_keras(make_rnn):
    inputs = keras.Input((STEPS, FEATURES), name="x")
    model = keras.Model(inputs, make_rnn()(inputs))
    _compare(model, [_sequences()])


def test_masked_steps_keep_the_state():
    inputs = keras.Input((STEPS, FEATURES), name="x")
    masked = keras.layers.Masking(0.0, name="mask")(inputs)
    model = keras.Model(inputs, keras.layers.GRU(4, name="rnn")(masked))
    data = _sequences()
    data[:, -3:] = 0.0  # padding at the end: the final state is the state after step 4
    data[0, 1] = 0.0  # and a gap in the middle
    _compare(model, [data])


def test_layer_stack_and_causal_attention_match_keras():
    inputs = keras.Input((STEPS, FEATURES), name="x")
    x = keras.layers.Conv1D(6, 3, padding="causal", activation="relu", name="conv")(inputs)
    x = keras.layers.LayerNormalization(name="norm")(x)
    x = keras.layers.LSTM(6, return_sequences=True, name="rnn")(x)
    context = keras.layers.Attention(name="attention")([x, x], use_causal_mask=True)
    x = keras.layers.Add(name="residual")([x, context])
    x = keras.layers.GlobalAveragePooling1D(name="pool")(x)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax", name="scores")(x))
    _compare(model, [_sequences()])


def test_token_language_model_with_open_length_lowers_at_a_given_length():
    from suite import build_model

    model = build_model("many_to_many", cell="lstm", units=6, vocab_size=9, embedding_dim=4,
                        input_shape=(None,), output_size=9)
    tokens = np.random.default_rng(1).integers(0, 9, size=(2, STEPS)).astype(np.int32)
    function = lower_model(model, sequence_length=STEPS)
    for index in range(len(tokens)):
        got = np.asarray(function(tokens[index:index + 1])[0])
        np.testing.assert_allclose(got, model(tokens[index:index + 1]).numpy(), atol=1e-5)


def test_unsupported_layer_is_a_user_error():
    inputs = keras.Input((STEPS, FEATURES), name="x")
    model = keras.Model(inputs, keras.layers.Cropping1D(1, name="crop")(inputs))
    with pytest.raises(UserError, match="crop"):
        lower_model(model)
