"""FLOP counts of benchmarks/export.py: every layer kind the suite builds, variable-length inputs at
the benchmark's sequence length, and layers wrapped in TimeDistributed and Bidirectional."""
import pytest

from suite.keras import keras
from tests.benchmark_scripts import load_benchmark


@pytest.fixture(scope="module")
def bench():
    return load_benchmark("export")


def test_time_distributed_conv_counts_every_frame(bench):
    frames = keras.Input((4, 8, 8, 3))
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(5, 3, padding="same"))(frames)
    x = keras.layers.TimeDistributed(keras.layers.MaxPooling2D(2))(x)
    x = keras.layers.TimeDistributed(keras.layers.Conv2D(7, 3, padding="same"))(x)
    model = keras.Model(frames, x)
    first = 2 * (3 * 3 * 3 * 5) * (8 * 8) * 4
    second = 2 * (3 * 3 * 5 * 7) * (4 * 4) * 4
    assert bench.model_flops(model) == first + second


def test_unknown_time_axis_uses_the_benchmark_steps(bench):
    sequence = keras.Input((None, 6))
    x = keras.layers.GRU(8, return_sequences=True)(sequence)
    x = keras.layers.Bidirectional(keras.layers.LSTM(4))(x)
    model = keras.Model(sequence, keras.layers.Dense(3)(x))
    steps = 10
    gru = 2 * 3 * 8 * (6 + 8) * steps
    lstm_both = 2 * (2 * 4 * 4 * (8 + 4) * steps)
    dense = 2 * 8 * 3
    assert bench.model_flops(model, steps) == gru + lstm_both + dense
    assert bench.model_flops(model, 2 * steps) == 2 * (gru + lstm_both) + dense


def test_dense_on_every_step_and_simple_rnn(bench):
    sequence = keras.Input((None, 5))
    x = keras.layers.SimpleRNN(6, return_sequences=True)(sequence)
    model = keras.Model(sequence, keras.layers.Dense(2)(x))
    assert bench.model_flops(model, 7) == 2 * 6 * (5 + 6) * 7 + 2 * 6 * 2 * 7
