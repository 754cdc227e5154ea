"""The one training entry point every app uses: ``fit(build, train_data, validation_data, run_dir, config)``.

It gives gradient clipping, learning-rate schedules, early stopping, resumable checkpoints
(a killed run continues from its last finished epoch), TensorBoard logs, a CSV history and a
training-curve PNG, seeded runs, and truncated BPTT for long sequences.
"""
from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Any, Callable, Sequence

from suite import distribute
from suite.app.paths import BACKUP_DIR
from suite.keras import keras, tf
from suite.tbptt import TruncatedBPTT
from suite.train_config import APP_TRAIN_FIELDS, OPTIMIZERS, SCHEDULES, TrainConfig, train_config_of  # noqa: F401

HISTORY_FILE = "history.csv"
CURVE_FILE = "training_curve.png"


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and TensorFlow and make TF ops deterministic, for repeatable runs."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def make_optimizer(config: TrainConfig, steps_per_epoch: int | None) -> keras.optimizers.Optimizer:
    learning_rate: Any = config.learning_rate
    total_steps = max(1, config.epochs * (steps_per_epoch or 100))
    if config.schedule == "cosine":
        learning_rate = keras.optimizers.schedules.CosineDecay(config.learning_rate, decay_steps=total_steps)
    elif config.schedule == "exponential":
        learning_rate = keras.optimizers.schedules.ExponentialDecay(
            config.learning_rate, decay_steps=max(1, total_steps // 10), decay_rate=0.8)
    clipping = {k: getattr(config, k) for k in ("clipnorm", "global_clipnorm", "clipvalue") if getattr(config, k)}
    optimizer_class = {"adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD,
                       "rmsprop": keras.optimizers.RMSprop}[config.optimizer]
    return optimizer_class(learning_rate=learning_rate, **clipping)


def make_callbacks(run_dir: Path, config: TrainConfig, has_validation: bool,
                   extra: Sequence[keras.callbacks.Callback] = ()) -> list[keras.callbacks.Callback]:
    monitor = "val_loss" if has_validation else "loss"
    callbacks: list[keras.callbacks.Callback] = [
        # The epoch's history row first, then the checkpoint: a run killed between the two redoes the epoch and
        # read_history keeps its latest row; the other order would skip the epoch and lose its row.
        keras.callbacks.CSVLogger(str(run_dir / HISTORY_FILE), append=True),
        # Saves model + optimizer + epoch at each epoch end; a rerun resumes after the last finished epoch.
        keras.callbacks.BackupAndRestore(str(run_dir / BACKUP_DIR)),
        keras.callbacks.TensorBoard(str(run_dir / "tensorboard"), write_graph=False, profile_batch=0),
    ]
    if config.schedule == "plateau":
        callbacks.append(keras.callbacks.ReduceLROnPlateau(monitor=monitor, factor=0.5, patience=2))
    if config.early_stopping_patience > 0:
        callbacks.append(keras.callbacks.EarlyStopping(monitor=monitor, patience=config.early_stopping_patience,
                                                       restore_best_weights=True))
    return callbacks + list(extra)


def fit(build: Callable[[], keras.Model], train_data: tf.data.Dataset, validation_data: tf.data.Dataset | None,
        run_dir: str | os.PathLike, config: TrainConfig, loss: Any, metrics: Sequence[Any] = (),
        strategy: str = "default", callbacks: Sequence[keras.callbacks.Callback] = (),
        verbose: int = 2) -> tuple[keras.Model, dict[str, list[float]]]:
    """Build the model inside the distribution strategy's scope, compile and train it.

    ``train_data``/``validation_data`` are batched ``tf.data`` datasets; for a repeatable run, call
    ``seed_everything(config.seed)`` before creating them (shuffles take the global seed). Returns the trained
    sequence model and its history (read back from the CSV, so a resumed run's history is whole).
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    seed_everything(config.seed)
    steps = int(train_data.cardinality()) if int(train_data.cardinality()) > 0 else None
    with distribute.strategy(strategy).scope():
        model = build()
        trainable = TruncatedBPTT(model, config.tbptt_window) if config.tbptt_window else model
        # weighted_metrics=[]: sample weights (padding) weigh the loss only; without it Keras warns every epoch.
        trainable.compile(optimizer=make_optimizer(config, steps), loss=loss, metrics=list(metrics),
                          weighted_metrics=[])
    trainable.fit(train_data, validation_data=validation_data, epochs=config.epochs, verbose=verbose,
                  callbacks=make_callbacks(run_dir, config, validation_data is not None, callbacks))
    history = read_history(run_dir / HISTORY_FILE)
    plot_history(history, run_dir / CURVE_FILE, title=f"{run_dir.parent.name}/{run_dir.name}",
                 kept_epoch=kept_epoch(history, config, validation_data is not None))
    return model, history


def read_history(path: Path) -> dict[str, list[float]]:
    """The CSV history as columns; a resumed run's repeated epochs keep their latest row."""
    if not path.exists():
        return {}
    rows: dict[int, dict[str, str]] = {}
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            rows[int(row["epoch"])] = row
    ordered = [rows[epoch] for epoch in sorted(rows)]
    columns = ordered[0].keys() if ordered else []
    return {name: [_number(row[name]) for row in ordered] for name in columns}


def _number(text: str) -> float:
    """CSVLogger writes 'NA' for a metric missing from an epoch."""
    try:
        return float(text)
    except ValueError:
        return float("nan")


def kept_epoch(history: dict[str, list[float]], config: TrainConfig, has_validation: bool) -> int | None:
    """The 1-based epoch whose weights the model keeps: the best monitored loss under early stopping
    (restore_best_weights), else the last epoch."""
    monitor = "val_loss" if has_validation else "loss"
    if not history.get(monitor):
        return None
    if config.early_stopping_patience > 0:
        values = history[monitor]
        return min(range(len(values)), key=lambda i: values[i]) + 1
    return len(history[monitor])


def plot_history(history: dict[str, list[float]], path: Path, title: str = "training",
                 kept_epoch: int | None = None) -> None:
    """Loss and metric curves per epoch, training and validation side by side, the kept epoch marked."""
    if not history:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import MaxNLocator

    names = [n for n in history if n != "epoch" and not n.startswith("val_") and n != "lr"]
    figure, axes = plt.subplots(1, len(names), figsize=(4.5 * len(names), 3.4), squeeze=False)
    epochs = [int(e) + 1 for e in history.get("epoch", range(len(history[names[0]])))]
    for axis, name in zip(axes[0], names):
        axis.plot(epochs, history[name], marker=".", label="training")
        if f"val_{name}" in history:
            axis.plot(epochs, history[f"val_{name}"], marker=".", label="validation")
        if kept_epoch is not None:
            axis.axvline(kept_epoch, color="grey", linestyle="--", linewidth=1, label=f"kept epoch {kept_epoch}")
        axis.set_xlabel("epoch")
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel(name.replace("_", " "))
        axis.set_title(name.replace("_", " "))
        axis.legend(fontsize=8)
    figure.suptitle(f"{title}: training curves", fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
