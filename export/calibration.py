"""Calibration and held-out data for export: a registry of app data functions.

An app registers ``fn(config, split, count) -> (inputs, targets)`` in ``apps/<app>/calibration.py``
with ``@register_dataset("<app>")``; ``get_dataset`` imports that module on demand.
``inputs`` is one array, or a list of arrays (one per model input) with the samples first.
``--calibration-data FILE.npz`` overrides the app (arrays ``inputs`` or ``input_0``, ``input_1``, ...,
optional ``targets``).
"""
from __future__ import annotations

import importlib
import os
from typing import Any, Callable

import numpy as np

from suite.errors import UserError

DatasetFn = Callable[[dict, str, int], tuple[Any, Any]]
DATASETS: dict[str, DatasetFn] = {}


def register_dataset(app: str) -> Callable[[DatasetFn], DatasetFn]:
    def register(fn: DatasetFn) -> DatasetFn:
        DATASETS[app] = fn
        return fn

    return register


def get_dataset(config: dict, split: str, count: int) -> tuple[Any, Any]:
    """(inputs, targets) of ``count`` samples of ``split`` ("calibration" or "heldout") for the model's app."""
    app = config.get("app")
    if not app:
        raise UserError("config.json has no \"app\": pass --calibration-data FILE.npz")
    if app not in DATASETS:
        try:
            importlib.import_module(f"apps.{app}.calibration")
        except ModuleNotFoundError as error:
            raise UserError(f"app {app!r} registers no calibration data (apps/{app}/calibration.py): "
                            "pass --calibration-data FILE.npz") from error
    if app not in DATASETS:
        raise UserError(f"apps/{app}/calibration.py does not call register_dataset({app!r})")
    return DATASETS[app](config, split, count)


def load_npz(path: str | os.PathLike) -> tuple[Any, Any]:
    """(inputs, targets or None) from a calibration .npz file."""
    try:
        archive = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as error:
        raise UserError(f"{path}: not a readable .npz file ({error})") from error
    with archive:
        if "inputs" in archive.files:
            inputs: Any = archive["inputs"]
        else:
            numbered = sorted((name for name in archive.files if name.startswith("input_")),
                              key=lambda name: int(name.split("_")[1]))
            if not numbered:
                raise UserError(f"{path}: needs an array 'inputs' (or 'input_0', 'input_1', ...)")
            inputs = [archive[name] for name in numbered]
            inputs = inputs[0] if len(inputs) == 1 else inputs
        targets = archive["targets"] if "targets" in archive.files else None
    return inputs, targets


def split_samples(inputs: Any, fraction: float = 0.5) -> tuple[Any, Any]:
    """Split samples along the first axis: the first part calibrates, the rest is held out."""
    arrays = inputs if isinstance(inputs, list) else [inputs]
    cut = max(1, int(len(arrays[0]) * fraction))
    first = [array[:cut] for array in arrays]
    second = [array[cut:] for array in arrays]
    if isinstance(inputs, list):
        return first, second
    return first[0], second[0]


def step_inputs(step_model: Any, sequences: np.ndarray, max_samples: int = 400, seed: int = 0) -> list[np.ndarray]:
    """Inputs ``[x (M, 1, ...), state_in_0 (M, units), ...]`` met while stepping through ``sequences``.

    The Keras step model runs once per time step on the whole batch (compiled, not eager per
    sample); the states it carries are the realistic state inputs that int8 calibration needs.
    """
    from suite.keras import tf

    sequences = np.asarray(sequences, np.float32)
    compiled = tf.function(lambda inputs: step_model(inputs, training=False))
    states = [np.zeros((len(sequences),) + tuple(int(d) for d in spec.shape[1:]), np.float32)
              for spec in step_model.inputs[1:]]
    collected: list[list[np.ndarray]] = [[] for _ in range(1 + len(states))]
    for t in range(sequences.shape[1]):
        frame = sequences[:, t:t + 1]
        for bucket, value in zip(collected, [frame, *states]):
            bucket.append(value)
        outputs = compiled([tf.constant(frame), *[tf.constant(s) for s in states]])
        states = [np.asarray(value) for value in outputs[1:]]
    arrays = [np.concatenate(bucket) for bucket in collected]
    chosen = np.random.default_rng(seed).permutation(len(arrays[0]))[:max_samples]
    return [array[chosen] for array in arrays]


# Inputs drawn from the model's input spec (no data given): standard-normal floats, the scale most
# feature pipelines normalise to; integer inputs (token ids) uniform below the smallest Embedding
# vocabulary, else 0/1. A free time axis gets SPEC_STEPS steps only for the rebuild check; an export
# needs a fixed length, given by the data (spec_length).
SPEC_STEPS = 16
SPEC_DESCRIPTION = ("drawn from the model's input spec (float inputs standard normal, integer inputs uniform "
                    "token ids): parity checked on synthetic inputs, not on your data")


def spec_inputs(model: Any, count: int, seed: int = 0, steps: int | None = None) -> list[np.ndarray]:
    """``count`` samples per model input drawn from its shape and dtype (see SPEC_DESCRIPTION)."""
    rng = np.random.default_rng(seed)
    vocabulary = _smallest_vocabulary(model)
    arrays = []
    for tensor in model.inputs:
        shape = [count] + [int(d) if d is not None else (steps or SPEC_STEPS) for d in tensor.shape[1:]]
        dtype = np.dtype(getattr(tensor.dtype, "as_numpy_dtype", tensor.dtype))
        if np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(0, vocabulary or 2, size=shape).astype(dtype))
        else:
            arrays.append(rng.normal(size=shape).astype(np.float32))
    return arrays


def free_time_axes(model: Any) -> list[str]:
    """Names of inputs whose shape has an unknown dimension (beyond the batch)."""
    return [tensor.name.split(":")[0] for tensor in model.inputs if any(d is None for d in tensor.shape[1:])]


def _smallest_vocabulary(model: Any) -> int | None:
    from export.lowering import layer_kind  # imported late: the registry module imports TensorFlow

    kinds = [(layer, layer_kind(layer)) for layer in model.layers]
    sizes = [kind.vocabulary(layer) for layer, kind in kinds if kind is not None and kind.vocabulary]
    return min(sizes) if sizes else None
