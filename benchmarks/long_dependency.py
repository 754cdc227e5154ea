"""The adding problem (Hochreiter & Schmidhuber 1997): do gates fix vanishing gradients?

Each sequence has T steps of (value in [0, 1], marker); exactly two markers are 1, one in the
first half and one in the second. The target is the sum of the two marked values. Predicting
the mean (1.0) scores MSE ~0.167: the trivial baseline. A model must carry the first marked value
across up to T steps to beat it.

Trains SimpleRNN, LSTM and GRU, each with and without gradient clipping, at T = 50, 100, 200,
and prints held-out MSE against the baseline and the training time.

    python benchmarks/long_dependency.py [--lengths 50 100 200] [--epochs 8] [--learning-rate 0.01]
"""
from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np

from suite import build_model
from suite.keras import tf
from suite.training import TrainConfig, fit

TRAIN_SEQUENCES = 6000
TEST_SEQUENCES = 1000
UNITS = 32
BATCH_SIZE = 64
SOLVED_MSE = 0.05  # well under a third of the baseline: the dependency was learned


def adding_problem(count: int, length: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    values = rng.uniform(0.0, 1.0, size=(count, length)).astype("float32")
    markers = np.zeros((count, length), dtype="float32")
    first = rng.integers(0, length // 2, size=count)
    second = rng.integers(length // 2, length, size=count)
    markers[np.arange(count), first] = 1.0
    markers[np.arange(count), second] = 1.0
    targets = (values * markers).sum(axis=1, keepdims=True)
    return np.stack([values, markers], axis=-1), targets


def train_one(cell: str, clip: bool, length: int, epochs: int, learning_rate: float, run_dir: str) -> dict:
    x, y = adding_problem(TRAIN_SEQUENCES, length, seed=length)
    x_test, y_test = adding_problem(TEST_SEQUENCES, length, seed=10_000 + length)
    data = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(TRAIN_SEQUENCES, seed=0).batch(BATCH_SIZE).prefetch(tf.data.AUTOTUNE)
    config = TrainConfig(epochs=epochs, batch_size=BATCH_SIZE, learning_rate=learning_rate, seed=0,
                         global_clipnorm=1.0 if clip else None)
    build = lambda: build_model("many_to_one", cell=cell, units=UNITS, input_shape=(length, 2), output_size=1,
                                output_activation=None)
    start = time.perf_counter()
    model, _ = fit(build, data, None, run_dir, config, loss="mse", verbose=0)
    seconds = time.perf_counter() - start
    mse = float(np.mean((model.predict(x_test, batch_size=500, verbose=0) - y_test) ** 2))
    return {"cell": cell, "clip": clip, "length": length, "mse": mse, "seconds": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--cells", nargs="+", default=["simple", "lstm", "gru"])
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--learning-rate", type=float, default=1e-2)
    args = parser.parse_args()
    baseline = {n: float(np.mean((adding_problem(TEST_SEQUENCES, n, 10_000 + n)[1] - 1.0) ** 2)) for n in args.lengths}
    print(f"adding problem: {TRAIN_SEQUENCES} training sequences, {args.epochs} epochs, {UNITS} units; "
          f"solved = held-out MSE < {SOLVED_MSE}")
    print(f"{'cell':<8} {'clip':<5} {'T':>4} {'test MSE':>9} {'baseline':>9} {'solved':>7} {'train s':>8}")
    with tempfile.TemporaryDirectory() as scratch:
        for length in args.lengths:
            for cell in args.cells:
                for clip in (False, True):
                    row = train_one(cell, clip, length, args.epochs, args.learning_rate, f"{scratch}/{cell}-{clip}-{length}")
                    solved = "yes" if row["mse"] < SOLVED_MSE else "no"
                    print(f"{cell:<8} {str(clip):<5} {length:>4} {row['mse']:>9.4f} {baseline[length]:>9.4f} "
                          f"{solved:>7} {row['seconds']:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
