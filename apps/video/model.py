"""The video model: build arguments, loading, and inference on clips and frame by frame.

Inference runs the exported int8 files (``model_int8`` for whole clips, ``step_int8`` frame by frame)
through ``export.runtime`` with numpy only; ``--backend keras`` loads ``model.keras`` (TensorFlow) for
comparison. ``open_model`` resolves ``--model`` (suite.app.models: another app's model or file, a
folder where a file belongs, ... are one line) and checks the config holds what a video model needs.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from apps.video.classes import CLASSES
from suite.app.models import ModelRef, resolve_model
from suite.errors import UserError
from suite.quiet import native_quiet

APP = "video"
TOPOLOGY = "cnn_rnn"
CLIP_FILE = "model_int8"  # the exported clip model: N frames -> class probabilities
STEP_FILE = "step_int8"   # the exported step model: one frame + GRU state -> probabilities, state
BASELINE_FILE = "baseline.keras"  # the per-frame baseline, saved beside model.keras
PREDICT_BATCH = 32
CONFIG_KEYS = ("classes", "num_frames", "frame_size")  # what inference reads from config.json
# Model steps per second the training clips correspond to: 16 frames over a typical 2-second clip.
DEFAULT_STEP_FPS = 8.0

Scorer = Callable[[np.ndarray], np.ndarray]   # clips float32 [n, N, S, S, 3] in [-1, 1] -> probabilities [n, C]
Stepper = Callable[[np.ndarray], np.ndarray]  # one frame [S, S, 3] in [-1, 1] -> probabilities after it


def model_kwargs(config: Any, temporal: str = "rnn", class_count: int = len(CLASSES)) -> dict:
    """``build_model(TOPOLOGY, **kwargs)`` arguments of a preset: the CNN+GRU, or with ``temporal="average"``
    the per-frame baseline (same CNN, frames averaged, no recurrent part)."""
    return {
        "input_shape": [config.num_frames, config.frame_size, config.frame_size, 3],
        "output_size": class_count,
        "conv_filters": list(config.conv_filters),
        "batch_norm": config.batch_norm,
        "cell": config.cell,
        "units": config.units,
        "temporal": temporal,
    }


def build(kwargs: dict, pretrained: dict | None = None) -> Any:
    """The Keras model of ``kwargs``, its frame CNN loaded from ``pretrained`` weights when given."""
    from apps.video.pretext import load_frame_cnn
    from suite import build_model

    model = build_model(TOPOLOGY, **kwargs)
    load_frame_cnn(model, pretrained or {})
    return model


@dataclass(frozen=True)
class VideoModel:
    """A resolved ``--model``: the file (or directory) to run and what its config says about the input."""

    ref: ModelRef
    class_names: tuple[str, ...]
    num_frames: int
    frame_size: int

    @property
    def size(self) -> tuple[int, int]:
        return (self.frame_size, self.frame_size)


def open_model(path: str | os.PathLike | None, file: str, backend: str | None = None) -> VideoModel:
    """``--model PATH`` (default: the shipped model) for ``file`` (CLIP_FILE or STEP_FILE)."""
    from suite.app import shipped_model_dir

    ref = resolve_model(APP, path if path is not None else shipped_model_dir(APP), file, backend)
    missing = [key for key in CONFIG_KEYS if key not in ref.config]
    if missing:
        where = ref.model_dir or ref.path.parent
        raise UserError(f"{ref.path}: no video config.json beside it (missing {', '.join(missing)} in {where})")
    return VideoModel(ref, tuple(ref.config["classes"]), int(ref.config["num_frames"]),
                      int(ref.config["frame_size"]))


def keras_scorer(model: Any) -> Scorer:
    def score(clips: np.ndarray) -> np.ndarray:
        return np.asarray(model.predict(clips, batch_size=PREDICT_BATCH, verbose=0), np.float32)

    return score


def load_keras(model: VideoModel) -> Any:
    """model.keras of the model directory; without TensorFlow installed, one line (UserError)."""
    try:
        from suite.modeldir import load_model_dir
    except ImportError as error:
        raise UserError(f"--backend keras needs TensorFlow ({error}); use --backend tflite or onnx") from None
    return load_model_dir(model.ref.model_dir)[0]


def clip_scorer(model: VideoModel) -> Scorer:
    """Whole clips -> probabilities, from the exported file (default) or from Keras."""
    if model.ref.backend == "keras":
        return keras_scorer(load_keras(model))
    from export.runtime import RuntimeInputError

    with native_quiet():
        runtime = model.ref.load_runtime()

    def score(clips: np.ndarray) -> np.ndarray:
        try:
            return runtime.run(clips)[0].reshape(len(clips), -1)
        except RuntimeInputError as error:  # e.g. a step model given where the clip model belongs
            raise UserError(f"{model.ref.path}: not a clip model for this input ({error})") from None

    return score


def stepper(model: VideoModel) -> Stepper:
    """One frame at a time -> running probabilities, the GRU state kept between calls."""
    if model.ref.backend == "keras":
        return keras_stepper(load_keras(model))
    with native_quiet():
        runtime = model.ref.load_streaming_runtime()
    return lambda frame: np.asarray(runtime.step(frame)).reshape(-1)


def keras_stepper(keras_model: Any) -> Stepper:
    from suite.streaming import compiled_step, initial_states, step_model

    step = step_model(keras_model)
    run = compiled_step(step)
    states = initial_states(step, 1)

    def advance(frame: np.ndarray) -> np.ndarray:
        nonlocal states
        scores, states = run(frame[None, None].astype(np.float32), states)
        return np.asarray(scores).reshape(-1)

    return advance


def load_baseline(model_dir: Path | None) -> Scorer | None:
    """The per-frame baseline stored beside the model (Keras), or None when there is none."""
    path = model_dir / BASELINE_FILE if model_dir is not None else None
    if path is None or not path.is_file():
        return None
    from suite.keras import keras

    return keras_scorer(keras.models.load_model(path, compile=False))


def predict_file(model: VideoModel, score: Scorer, file: str) -> dict:
    """{"file", "label", "score", "top3"} of one whole clip."""
    from apps.video.data import unit_to_model_input
    from apps.video.decode import load_clip
    from suite.app.classification import top_k

    clip = load_clip(file, model.num_frames, model.size)
    best = top_k(score(unit_to_model_input(clip)[None])[0], model.class_names)
    return {"file": file, "label": best[0]["label"], "score": best[0]["score"], "top3": best}


def stream_file(model: VideoModel, path: str, every: int | None = None,
                step_fps: float = DEFAULT_STEP_FPS) -> Iterator[dict]:
    """One record per model step: {"file", "frame", "step", "label", "score", "top3"} (the running decision).

    The model was trained on ``num_frames`` frames spread over a 1-2.5 s clip, so the feed is thinned to
    about that rate: every ``every``-th frame is used (by default from the file's frame rate).
    """
    from apps.video.data import unit_to_model_input
    from apps.video.decode import check_file, frame_rate, iter_frames
    from suite.app.classification import top_k

    check_file(path)
    if every is not None and every < 1:
        raise UserError(f"--every: must be at least 1, not {every}")
    if not step_fps > 0:
        raise UserError(f"--step-fps: must be > 0, not {step_fps}")
    advance = stepper(model)
    fps = frame_rate(path)
    stride = every or (max(1, int(round(fps / step_fps))) if fps > 0 else 1)
    step_index = 0
    for frame_index, frame in enumerate(iter_frames(path, model.size)):
        if frame_index % stride:
            continue
        best = top_k(advance(unit_to_model_input(frame)), model.class_names)
        yield {"file": path, "frame": frame_index, "step": step_index, "label": best[0]["label"],
               "score": best[0]["score"], "top3": best}
        step_index += 1
