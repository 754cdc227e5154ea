"""The speech model at inference: class scores for log-mel windows, and a step model for streaming.

By default both run the exported int8 files (``model_int8.tflite`` / ``step_int8.tflite``) of the shipped
model through ``export.runtime``, fed by the numpy front-end: no TensorFlow. ``--backend onnx`` runs the
.onnx files; ``--backend keras`` loads ``model.keras`` (needs TensorFlow; for comparison). An exported
file with no config.json beside it is checked against the front-end's shape (49 frames x 40 mel bins).
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

from apps.speech import frontend
from apps.speech.labels import LABELS
from suite.app import shipped_model_dir
from suite.app.models import ModelRef, resolve_model
from suite.errors import UserError
from suite.quiet import native_quiet

APP = "speech"
SEQUENCE_FILE = "model_int8"  # the window model: (n, 49, 40) -> (n, 12)
STEP_FILE = "step_int8"  # the streaming step model: one 40-bin frame and the state -> scores, new state
PREDICT_BATCH = 256


@dataclass
class Scorer:
    """``probabilities(features (n, 49, 40)) -> (n, 12)``; ``name`` says what was loaded, ``features`` which
    front-end features it takes (frontend.FEATURES)."""

    name: str
    probabilities: Callable[[np.ndarray], np.ndarray]
    features: str = "log_mel"


def features_of(config: dict) -> str:
    """The features a model was trained on (config.json "frontend"); log-mel for a file without config.json."""
    return config.get("frontend", {}).get("features", "log_mel")


def model_inputs(features: np.ndarray, input_shape: list[int] | tuple[int, ...]) -> np.ndarray:
    """Reshape (n, 49, 40) features to the model's input (the CRNN folds 40 bins into 10 x 4 x 1)."""
    return np.asarray(features, np.float32).reshape((len(features), *[int(d) for d in input_shape]))


def resolve(model: str | os.PathLike | None, file: str, backend: str | None) -> ModelRef:
    """``--model`` (default: the shipped model) checked to be a speech model."""
    return resolve_model(APP, model if model is not None else shipped_model_dir(APP), file, backend)


def check_frontend_shape(path: Path, data_shape: tuple, outputs: tuple, step: bool) -> None:
    """A file without a config.json must take the front-end's frames and give one score per label."""
    frames, *bins = data_shape[1:]
    frames_ok = frames in (None, 0, 1 if step else frontend.NUM_FRAMES)
    if not frames_ok or int(np.prod(bins or [0])) != frontend.NUM_MEL_BINS or outputs[-1] != len(LABELS):
        kind = "step model" if step else "window model"
        raise UserError(f"{path}: not a speech {kind} (input {tuple(data_shape)}, output {tuple(outputs)}; "
                        f"expected {'1' if step else frontend.NUM_FRAMES} x {frontend.NUM_MEL_BINS} log-mel "
                        f"frames in, {len(LABELS)} scores out)")


def load_keras(model_dir: Path) -> tuple[Any, dict]:
    """``(model, config)`` of a model directory; without TensorFlow installed, one line (UserError)."""
    try:
        from suite.modeldir import load_model_dir
    except ImportError as error:
        raise UserError(f"--backend keras needs TensorFlow ({error}); use --backend tflite or onnx") from None
    return load_model_dir(model_dir)


def _keras_scorer(ref: ModelRef) -> Scorer:
    model, config = load_keras(ref.path.parent)
    input_shape = config["model"]["input_shape"]

    def probabilities(features: np.ndarray) -> np.ndarray:
        return model.predict(model_inputs(features, input_shape), batch_size=PREDICT_BATCH, verbose=0)

    return Scorer(str(ref.path.parent), probabilities, features_of(config))


def _runtime_scorer(ref: ModelRef) -> Scorer:
    with native_quiet():
        runtime = ref.load_runtime()
    if len(runtime.input_names) != 1:
        raise UserError(f"{ref.path}: a step model (inputs {runtime.input_names}); expected the window model "
                        f"{SEQUENCE_FILE}{ref.path.suffix}")
    check_frontend_shape(ref.path, runtime.input_shapes[0], runtime.output_shapes[0], step=False)
    input_shape = [d or 1 for d in runtime.input_shapes[0][1:]]

    def probabilities(features: np.ndarray) -> np.ndarray:
        return runtime.run(model_inputs(features, input_shape))[0]

    return Scorer(str(ref.path), probabilities, features_of(ref.config))


def load_scorer(model: str | os.PathLike | None = None, backend: str | None = None) -> Scorer:
    """The window model of ``--model`` (a model directory, .tflite or .onnx) for ``--backend``."""
    ref = resolve(model, SEQUENCE_FILE, backend)
    return _keras_scorer(ref) if ref.backend == "keras" else _runtime_scorer(ref)


class RuntimeStepper:
    """One exported step model (.tflite/.onnx) whose state is swapped per stream."""

    def __init__(self, ref: ModelRef) -> None:
        with native_quiet():
            self.runtime = ref.load_streaming_runtime()
        data_name = self.runtime.data_names[0]
        check_frontend_shape(ref.path, self.runtime.backend.inputs[data_name]["shape"],
                             self.runtime.output_shapes[0], step=True)
        self.name = str(ref.path)
        self.features = features_of(ref.config)

    def initial_state(self) -> Any:
        self.runtime.reset()
        return self.runtime.states

    def step(self, frame: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        self.runtime.states = state  # StreamingRuntime.step updates this dict in place
        return self.runtime.step(frame).reshape(-1), state


class KerasStepper:
    """The Keras step model of a model folder, compiled once (suite.streaming.compiled_step)."""

    def __init__(self, model_dir: Path) -> None:
        model, config = load_keras(model_dir)
        from suite.streaming import compiled_step, initial_states, step_model

        self.step_keras = step_model(model)
        self.run = compiled_step(self.step_keras)
        self.frame_shape = (1, 1, *config["model"]["input_shape"][1:])
        self.zero_states = initial_states(self.step_keras, 1)
        self.name = f"{model_dir} (Keras step model)"
        self.features = features_of(config)

    def initial_state(self) -> Any:
        return list(self.zero_states)

    def step(self, frame: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        scores, state = self.run(np.asarray(frame, np.float32).reshape(self.frame_shape), state)
        return np.asarray(scores).reshape(-1), list(state)


def load_stepper(model: str | os.PathLike | None = None, backend: str | None = None) -> RuntimeStepper | KerasStepper:
    """The step model of ``--model`` (a model directory or a step .tflite/.onnx) for ``--backend``."""
    ref = resolve(model, STEP_FILE, backend)
    return KerasStepper(ref.path.parent) if ref.backend == "keras" else RuntimeStepper(ref)
