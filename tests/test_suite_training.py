"""Training entry point: clipping bounds the update, a killed run resumes, TBPTT carries states."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from suite import build_model
from suite.keras import keras, tf
from suite.training import TrainConfig, fit, make_callbacks, make_optimizer, read_history, seed_everything

ROOT = Path(__file__).resolve().parents[1]


def _one_update(config: TrainConfig) -> tuple[float, np.ndarray]:
    """Apply one SGD(lr=1) step with a huge gradient; return the raw gradient norm and the update."""
    model = build_model("many_to_one", cell="gru", units=8, input_shape=(6, 3), output_size=2, output_activation=None)
    x = np.full((4, 6, 3), 50.0, dtype="float32")
    y = np.full((4, 2), 1e4, dtype="float32")
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(tf.square(model(x) - y))
    gradients = tape.gradient(loss, model.trainable_variables)
    before = [v.numpy().copy() for v in model.trainable_variables]
    make_optimizer(config, steps_per_epoch=1).apply_gradients(zip(gradients, model.trainable_variables))
    update = np.concatenate([(v.numpy() - b).ravel() for v, b in zip(model.trainable_variables, before)])
    return float(tf.linalg.global_norm(gradients)), update


def test_global_clipnorm_bounds_the_global_norm():
    raw_norm, update = _one_update(TrainConfig(optimizer="sgd", learning_rate=1.0, global_clipnorm=0.5))
    assert raw_norm > 100.0
    assert np.linalg.norm(update) == pytest.approx(0.5, rel=1e-3)


def test_clipvalue_bounds_each_component():
    raw_norm, update = _one_update(TrainConfig(optimizer="sgd", learning_rate=1.0, global_clipnorm=None, clipvalue=0.01))
    assert raw_norm > 100.0
    assert np.abs(update).max() <= 0.01 + 1e-7


def test_clipnorm_bounds_each_variable():
    _, update = _one_update(TrainConfig(optimizer="sgd", learning_rate=1.0, global_clipnorm=None, clipnorm=0.1))
    # Five variables (GRU kernel, recurrent kernel, bias; dense kernel, bias), each clipped to 0.1.
    assert np.linalg.norm(update) <= np.sqrt(5) * 0.1 + 1e-6


RESUME_SCRIPT = textwrap.dedent("""
    import os, sys
    import numpy as np
    from suite import build_model
    from suite.keras import keras, tf
    from suite.training import TrainConfig, fit

    run_dir, kill_after = sys.argv[1], int(sys.argv[2])

    class Killer(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            print(f"EPOCH_BEGIN {epoch}", flush=True)
        def on_epoch_end(self, epoch, logs=None):
            if epoch + 1 == kill_after:
                os._exit(9)  # like a killed process: no cleanup runs

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 5, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    build = lambda: build_model("many_to_one", cell="gru", units=8, input_shape=(5, 3), output_size=2)
    fit(build, data, None, run_dir, TrainConfig(epochs=4, seed=1), "sparse_categorical_crossentropy",
        callbacks=[Killer()], verbose=0)
    print("FINISHED", flush=True)
""")


def test_killed_run_resumes_from_next_epoch(tmp_path, repo_on_pythonpath):
    script = tmp_path / "resume.py"
    script.write_text(RESUME_SCRIPT)
    run_dir = tmp_path / "run"
    command = [sys.executable, str(script), str(run_dir)]
    first = subprocess.run(command + ["1"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert first.returncode == 9, first.stderr[-2000:]
    assert "EPOCH_BEGIN 0" in first.stdout and "EPOCH_BEGIN 1" not in first.stdout
    second = subprocess.run(command + ["0"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    began = [int(line.split()[1]) for line in second.stdout.splitlines() if line.startswith("EPOCH_BEGIN")]
    assert began == [1, 2, 3]  # continues with the second epoch
    history = read_history(run_dir / "history.csv")
    assert history["epoch"] == [0.0, 1.0, 2.0, 3.0]
    assert (run_dir / "training_curve.png").stat().st_size > 1000


def test_history_row_is_written_before_the_checkpoint(tmp_path):
    """Callbacks run in list order at an epoch's end: the CSV row must be on disk before the checkpoint that makes a
    resumed run skip that epoch (a kill between the two otherwise loses the row)."""
    kinds = [type(callback) for callback in make_callbacks(tmp_path, TrainConfig(epochs=1), has_validation=False)]
    assert kinds.index(keras.callbacks.CSVLogger) < kinds.index(keras.callbacks.BackupAndRestore)


def _dataset(length: int):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(32, length, 2)).astype("float32")
    # Target at step t: sign of the running sum of feature 0, which needs memory across windows.
    y = (np.cumsum(x[:, :, 0], axis=1) > 0).astype("int64")
    return x, y


def test_truncated_bptt_trains_and_equals_full_bptt_when_window_covers_sequence(tmp_path):
    x, y = _dataset(12)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    build = lambda: build_model("many_to_many", cell="gru", units=8, input_shape=(12, 2), output_size=2)
    config = dict(epochs=1, optimizer="sgd", learning_rate=0.1, seed=3, global_clipnorm=None)
    full, _ = fit(build, data, None, tmp_path / "full", TrainConfig(**config), "sparse_categorical_crossentropy", verbose=0)
    whole, _ = fit(build, data, None, tmp_path / "whole", TrainConfig(tbptt_window=12, **config),
                   "sparse_categorical_crossentropy", verbose=0)
    for a, b in zip(full.get_weights(), whole.get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)
    windows, history = fit(build, data, None, tmp_path / "tbptt", TrainConfig(tbptt_window=4, **config),
                           "sparse_categorical_crossentropy", verbose=0)
    # Three windows -> three updates, so the weights differ from the single full-BPTT update.
    assert max(np.abs(a - b).max() for a, b in zip(full.get_weights(), windows.get_weights())) > 1e-4
    assert len(history["loss"]) == 1


def test_truncated_bptt_learns_a_running_sum_across_windows(tmp_path):
    x, y = _dataset(24)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    build = lambda: build_model("many_to_many", cell="gru", units=16, input_shape=(24, 2), output_size=2)
    model, history = fit(build, data, None, tmp_path, TrainConfig(epochs=15, learning_rate=0.02, tbptt_window=6),
                         "sparse_categorical_crossentropy", metrics=["accuracy"], verbose=0)
    accuracy = float((model.predict(x, verbose=0).argmax(-1) == y).mean())
    assert accuracy > 0.8  # chance is about 0.5; late steps need the state carried over windows
    assert history["loss"][-1] < history["loss"][0]


def test_seeded_runs_repeat(tmp_path):
    x, y = _dataset(6)
    # A fresh pipeline per run, made after seeding: a shuffle's order depends on the global seed at
    # creation and on how often the dataset was iterated.
    def data():
        seed_everything(7)
        return tf.data.Dataset.from_tensor_slices((x, y)).shuffle(32, seed=0).batch(8)

    build = lambda: build_model("many_to_many", cell="lstm", units=4, input_shape=(6, 2), output_size=2)
    first, _ = fit(build, data(), None, tmp_path / "a", TrainConfig(epochs=2, seed=7), "sparse_categorical_crossentropy", verbose=0)
    second, _ = fit(build, data(), None, tmp_path / "b", TrainConfig(epochs=2, seed=7), "sparse_categorical_crossentropy", verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_kept_epoch_is_the_best_under_early_stopping_else_the_last():
    from suite.training import kept_epoch

    history = {"epoch": [0, 1, 2, 3], "loss": [1.0, 0.8, 0.7, 0.6], "val_loss": [0.9, 0.5, 0.6, 0.7]}
    assert kept_epoch(history, TrainConfig(early_stopping_patience=2), has_validation=True) == 2
    assert kept_epoch(history, TrainConfig(early_stopping_patience=0), has_validation=True) == 4
    assert kept_epoch(history, TrainConfig(early_stopping_patience=2), has_validation=False) == 4
    assert kept_epoch({}, TrainConfig(), has_validation=True) is None


def test_only_a_checkpoint_file_under_the_backup_folder_means_resume(tmp_path):
    from suite.app.paths import has_checkpoint

    (tmp_path / "backup" / "chief").mkdir(parents=True)      # what a finished tf_keras run leaves behind
    (tmp_path / "tensorboard").mkdir()
    (tmp_path / "tensorboard" / "checkpoint").write_text("")
    assert not has_checkpoint(tmp_path)
    (tmp_path / "backup" / "chief" / "checkpoint").write_text('model_checkpoint_path: "ckpt-3"\n')
    assert has_checkpoint(tmp_path)
    assert not has_checkpoint(tmp_path / "missing")
