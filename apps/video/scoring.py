"""Scoring clips with a trained model: Keras model directory, or an exported .tflite/.onnx file.

``load_scorer(path)`` returns ``(score, model_dir)`` where ``score(frames float32 [n, N, H, W, 3]) ->
probabilities [n, classes]``. A registry keyed by file suffix picks the backend.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np

from suite.errors import UserError

Scorer = Callable[[np.ndarray], np.ndarray]
BASELINE_FILE = "baseline.keras"  # the per-frame baseline, saved beside model.keras
PREDICT_BATCH = 32


def keras_scorer(model) -> Scorer:
    def score(frames: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(frames, batch_size=PREDICT_BATCH, verbose=0), np.float32)

    return score


def load_keras_dir(path: Path) -> Scorer:
    from suite.modeldir import load_model_dir

    model, _ = load_model_dir(path)
    return keras_scorer(model)


def load_exported(path: Path) -> Scorer:
    from export.runtime import Runtime, RuntimeInputError

    try:
        runtime = Runtime(str(path))
    except (RuntimeInputError, ValueError, RuntimeError) as error:
        raise UserError(f"{path}: cannot load the exported model ({str(error).splitlines()[0]})") from None

    def score(frames: np.ndarray) -> np.ndarray:
        return runtime.run(frames)[0].reshape(len(frames), -1)

    return score


SCORER_LOADERS: dict[str, Callable[[Path], Scorer]] = {"": load_keras_dir, ".tflite": load_exported,
                                                       ".onnx": load_exported}


def model_dir_of(path: str | os.PathLike) -> Path:
    """The model directory a --model argument refers to (an exported file lives inside one)."""
    model = Path(path)
    if not model.exists():
        raise UserError(f"{path}: no such model directory or file")
    return model if model.is_dir() else model.parent


def load_scorer(path: str | os.PathLike) -> tuple[Scorer, Path]:
    model = Path(path)
    model_dir = model_dir_of(model)
    suffix = "" if model.is_dir() else model.suffix.lower()
    if suffix not in SCORER_LOADERS:
        raise UserError(f"{path}: expected a model directory, a .tflite or an .onnx file")
    return SCORER_LOADERS[suffix](model), model_dir


def load_baseline(model_dir: Path) -> Scorer | None:
    """The per-frame baseline stored beside the model, or None when the directory has none."""
    path = model_dir / BASELINE_FILE
    if not path.is_file():
        return None
    from suite.keras import keras

    return keras_scorer(keras.models.load_model(path, compile=False))


def top_k(probabilities: np.ndarray, class_names: tuple[str, ...], k: int = 3) -> list[dict]:
    """The ``k`` best classes of one clip, best first: [{"label", "score"}, ...]."""
    order = np.argsort(-probabilities)[:k]
    return [{"label": class_names[i], "score": round(float(probabilities[i]), 6)} for i in order]
