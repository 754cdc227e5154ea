"""Magnitude pruning of recurrent, dense and conv kernels with tensorflow-model-optimization.

tfmot works only on tf_keras models. Its registry covers Dense, Conv, GRU, LSTM and SimpleRNN (kernel
and recurrent kernel) but not the Bidirectional or TimeDistributed wrappers: those layers are left
dense and listed under "skipped" in the report. Which layer is which comes from the export's layer
registry (export/lowering.py: the ``prunable`` and ``wrapped`` traits), not from a list here. Pruning zeroes weights; the file shrinks only after
compression (gzip), or with a sparse runtime, which the report's gzip sizes show.
"""
from __future__ import annotations

import gzip
import tempfile
from pathlib import Path

import numpy as np

from export.lowering import LayerKind, kinds_with, layer_kind
from suite.errors import UserError
from suite.keras import keras, tf

PRUNED_WEIGHT_NAMES = ("kernel", "recurrent_kernel")
FINE_TUNE_LEARNING_RATE = 1e-3
BATCH_SIZE = 32
GZIP_LEVEL = 9


def _tfmot():
    import tensorflow_model_optimization as tfmot  # slow import; only pruning needs it

    return tfmot


def _copy(model: keras.Model) -> keras.Model:
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def _schedule(sparsity: float, total_steps: int):
    """Ramp from 0 to ``sparsity`` over the first half of fine-tuning, then hold it while weights adapt."""
    sparsity_module = _tfmot().sparsity.keras
    end_step = max(1, total_steps // 2)
    return sparsity_module.PolynomialDecay(initial_sparsity=0.0, final_sparsity=sparsity, begin_step=0,
                                           end_step=end_step, frequency=1)


def _kernel_sparsity(model: keras.Model, layer_names: list[str]) -> dict[str, float]:
    sparsity = {}
    for name in layer_names:
        for weight in model.get_layer(name).weights:
            short = weight.name.split("/")[-1].split(":")[0]
            if short in PRUNED_WEIGHT_NAMES:
                values = weight.numpy()
                sparsity[f"{name}/{short}"] = float(np.mean(values == 0))
    return sparsity


def _overall_sparsity(model: keras.Model, layer_names: list[str]) -> float:
    zeros = total = 0
    for name in layer_names:
        for weight in model.get_layer(name).weights:
            if weight.name.split("/")[-1].split(":")[0] in PRUNED_WEIGHT_NAMES:
                values = weight.numpy()
                zeros += int(np.sum(values == 0))
                total += values.size
    return zeros / max(total, 1)


def gzip_weight_bytes(model: keras.Model) -> int:
    """Size of the model's saved weights (.h5) after gzip: what zeros buy in storage."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "weights.h5"
        model.save_weights(str(path))
        return len(gzip.compress(path.read_bytes(), GZIP_LEVEL))


def _metrics(model: keras.Model, data, loss) -> dict[str, float]:
    inputs, targets = data
    predictions = model.predict(inputs, verbose=0, batch_size=256)
    loss_fn = keras.losses.get(loss)
    result = {"loss": float(tf.reduce_mean(loss_fn(targets, predictions)).numpy())}
    targets = np.asarray(targets)
    if np.issubdtype(targets.dtype, np.integer) and predictions.shape[-1] > 1:
        result["accuracy"] = float(np.mean(predictions.argmax(-1) == targets))
    return result


def _default_loss(model: keras.Model, targets):
    if getattr(model, "loss", None):
        return model.loss
    if np.issubdtype(np.asarray(targets).dtype, np.integer):
        return "sparse_categorical_crossentropy"
    return "mse"


def _prunable(kind: LayerKind | None) -> bool:
    return kind is not None and kind.prunable


def prune_model(model: keras.Model, sparsity: float, train_data, epochs: int = 2, eval_data=None,
                loss=None, batch_size: int = BATCH_SIZE) -> tuple[keras.Model, dict]:
    """Prune kernels of Dense/Conv/GRU/LSTM/SimpleRNN layers to ``sparsity`` with a short fine-tune.

    ``train_data`` and ``eval_data`` are (inputs, targets). ``model`` is not modified. Returns the
    stripped (plain tf_keras) model and a report: target and measured sparsity (per kernel and
    overall), pruned and skipped layers, metrics before/after on ``eval_data``, gzip bytes before/after.
    """
    if not 0.0 < sparsity < 1.0:
        raise UserError(f"--prune {sparsity}: sparsity must be between 0 and 1 (e.g. 0.5)")
    tfmot = _tfmot()
    inputs, targets = train_data
    count = len(inputs[0] if isinstance(inputs, (list, tuple)) else inputs)
    total_steps = epochs * int(np.ceil(count / batch_size))
    schedule = _schedule(sparsity, total_steps)
    pruned_names, skipped = [], []

    def wrap(layer):
        kind = layer_kind(layer)
        if _prunable(kind):
            pruned_names.append(layer.name)
            return tfmot.sparsity.keras.prune_low_magnitude(layer, pruning_schedule=schedule)
        if kind is not None and kind.wrapped is not None:  # its inner layers stay dense: say so
            skipped.append(f"{layer.name} ({type(layer).__name__}: not in tfmot's pruning registry)")
        return layer

    loss = loss or _default_loss(model, targets)
    before = _metrics(model, eval_data, loss) if eval_data is not None else None
    pruning = keras.models.clone_model(_copy(model), clone_function=wrap)
    if not pruned_names:
        names = ", ".join(kind.class_name for kind in kinds_with(_prunable))
        raise UserError(f"{model.name}: no prunable layers ({names})")
    pruning.compile(optimizer=keras.optimizers.Adam(FINE_TUNE_LEARNING_RATE), loss=loss)
    pruning.fit(inputs, targets, epochs=epochs, batch_size=batch_size, verbose=0,
                callbacks=[tfmot.sparsity.keras.UpdatePruningStep()])
    stripped = tfmot.sparsity.keras.strip_pruning(pruning)
    report = {
        "target_sparsity": sparsity,
        "sparsity": _overall_sparsity(stripped, pruned_names),
        "kernel_sparsity": _kernel_sparsity(stripped, pruned_names),
        "pruned_layers": pruned_names,
        "skipped_layers": skipped,
        "epochs": epochs,
        "gzip_bytes_before": gzip_weight_bytes(model),
        "gzip_bytes_after": gzip_weight_bytes(stripped),
    }
    if before is not None:
        report["metrics_before"] = before
        report["metrics_after"] = _metrics(stripped, eval_data, loss)
    return stripped, report
