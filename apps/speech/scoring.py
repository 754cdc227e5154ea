"""Class probabilities for (n, 49, 40) log-mel windows from any model form: a model folder, .tflite or .onnx.

``load_scorer(path)`` picks the loader by suffix (a registry, not a type switch). Exported files run
through ``export.runtime.Runtime``, the same code a device runs, fed by the numpy front-end.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from apps.speech.data import model_inputs
from suite.errors import UserError

# The shipped model, next to the package in the source tree.
DEFAULT_MODEL_DIR = Path(__file__).resolve().parents[2] / "saved_models" / "speech"
PREDICT_BATCH = 256


@dataclass
class Scorer:
    """``probabilities(features (n, 49, 40)) -> (n, 12)``; ``name`` says what was loaded."""

    name: str
    probabilities: Callable[[np.ndarray], np.ndarray]


def _keras_scorer(path: Path) -> Scorer:
    from suite.modeldir import load_model_dir

    model, config = load_model_dir(path)
    if config.get("app") != "speech":
        raise UserError(f"{path}: not a speech model directory (config.json app={config.get('app')!r})")
    input_shape = config["model"]["input_shape"]

    def probabilities(features: np.ndarray) -> np.ndarray:
        return model.predict(model_inputs(features, input_shape), batch_size=PREDICT_BATCH, verbose=0)

    return Scorer(str(path), probabilities)


def _runtime_scorer(path: Path) -> Scorer:
    from export.runtime import Runtime, RuntimeInputError

    try:
        runtime = Runtime(str(path))
    except RuntimeInputError as error:
        raise UserError(str(error)) from None
    input_shape = [d or 1 for d in runtime.input_shapes[0][1:]]

    def probabilities(features: np.ndarray) -> np.ndarray:
        return runtime.run(model_inputs(features, input_shape))[0]

    return Scorer(str(path), probabilities)


LOADERS: dict[str, Callable[[Path], Scorer]] = {"": _keras_scorer, ".tflite": _runtime_scorer, ".onnx": _runtime_scorer}


def load_scorer(path: str | os.PathLike | None = None) -> Scorer:
    """A model folder (Keras), or an exported .tflite / .onnx file."""
    path = Path(path) if path else DEFAULT_MODEL_DIR
    if not path.exists():
        raise UserError(f"{path}: no such model folder or file")
    suffix = "" if path.is_dir() else path.suffix.lower()
    if suffix not in LOADERS:
        raise UserError(f"{path}: expected a model folder, a .tflite or an .onnx file")
    return LOADERS[suffix](path)


def resolve_model_dir(path: str | os.PathLike | None) -> Path:
    """A model folder argument (default: the shipped model), checked to exist."""
    path = Path(path) if path else DEFAULT_MODEL_DIR
    if not path.is_dir():
        raise UserError(f"{path}: no such model folder")
    return path
