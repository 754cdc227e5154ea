"""``stream FILE``: run the model frame by frame, as on a camera feed, printing the running label.

Each new frame costs the CNN on that frame plus one GRU step: the step model (suite.streaming) keeps
the GRU state between frames, from Keras (a compiled step function) or from the exported step model
(step_int8.tflite / step_int8.onnx through export.runtime.StreamingRuntime).
The model was trained on ``num_frames`` frames spread over a 1-2.5 s clip, so the feed is thinned to
about that rate: every ``--every``-th frame is used (by default from the file's frame rate).
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Callable, Iterator

import cv2
import numpy as np

from apps.video.cli import app
from apps.video.data import unit_to_model_input
from apps.video.decode import check_file, iter_frames
from apps.video.scoring import model_dir_of
from apps.video.train import DEFAULT_OUT
from suite.cli import add_json_option, emit
from suite.errors import UserError
from suite.modeldir import read_config

# Model steps per second the training clips correspond to: 16 frames over a typical 2-second clip.
DEFAULT_STEP_FPS = 8.0

Stepper = Callable[[np.ndarray], np.ndarray]  # one frame [H, W, 3] -> class probabilities after it


def keras_stepper(model_dir: Path) -> Stepper:
    from suite.modeldir import load_model_dir
    from suite.streaming import compiled_step, initial_states, step_model

    model, _ = load_model_dir(model_dir)
    step = step_model(model)
    run = compiled_step(step)
    states = initial_states(step, 1)

    def advance(frame: np.ndarray) -> np.ndarray:
        nonlocal states
        scores, states = run(frame[None, None].astype(np.float32), states)
        return np.asarray(scores).reshape(-1)

    return advance


def runtime_stepper(path: Path) -> Stepper:
    from export.runtime import RuntimeInputError, StreamingRuntime

    try:
        runtime = StreamingRuntime(str(path))
    except (RuntimeInputError, ValueError, RuntimeError) as error:
        raise UserError(f"{path}: cannot stream with this file ({str(error).splitlines()[0]})") from None

    def advance(frame: np.ndarray) -> np.ndarray:
        return np.asarray(runtime.step(frame)).reshape(-1)

    return advance


STEPPER_LOADERS: dict[str, Callable[[Path], Stepper]] = {"": keras_stepper, ".tflite": runtime_stepper,
                                                         ".onnx": runtime_stepper}


def load_stepper(model_path: str) -> tuple[Stepper, dict]:
    model = Path(model_path)
    model_dir = model_dir_of(model)
    suffix = "" if model.is_dir() else model.suffix.lower()
    if suffix not in STEPPER_LOADERS:
        raise UserError(f"{model_path}: expected a model directory, or a step model .tflite/.onnx file")
    config = read_config(model_dir)
    return STEPPER_LOADERS[suffix](model), config


def frame_stride(path: str, step_fps: float) -> int:
    """Use every n-th frame so the model steps at about ``step_fps`` (1 when the rate is unknown)."""
    capture = cv2.VideoCapture(str(path))
    fps = capture.get(cv2.CAP_PROP_FPS) if capture.isOpened() else 0.0
    capture.release()
    return max(1, int(round(fps / step_fps))) if fps and fps > 0 else 1


def stream(path: str, model_path: str = DEFAULT_OUT, every: int | None = None,
           step_fps: float = DEFAULT_STEP_FPS) -> Iterator[dict]:
    """One record per model step: {"file", "frame", "step", "label", "score"} (the running decision)."""
    check_file(path)
    if every is not None and every < 1:
        raise UserError(f"--every: must be at least 1, not {every}")
    if not step_fps > 0:
        raise UserError(f"--step-fps: must be > 0, not {step_fps}")
    advance, config = load_stepper(model_path)
    class_names = config["classes"]
    size = (config["frame_size"], config["frame_size"])
    stride = every or frame_stride(path, step_fps)
    step_index = 0
    for frame_index, frame in enumerate(iter_frames(path, size)):
        if frame_index % stride:
            continue
        scores = advance(unit_to_model_input(frame))
        best = int(np.argmax(scores))
        yield {"file": path, "frame": frame_index, "step": step_index, "label": class_names[best],
               "score": round(float(scores[best]), 6), "scores": [round(float(s), 6) for s in scores]}
        step_index += 1


def stream_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a video file (.mp4, .avi), read frame by frame")
    parser.add_argument("--model", default=DEFAULT_OUT,
                        help="model directory (Keras step model), or its step_int8.tflite / step_int8.onnx")
    parser.add_argument("--every", type=int, help="use every n-th frame (default: from the frame rate)")
    parser.add_argument("--step-fps", type=float, default=DEFAULT_STEP_FPS,
                        help="model steps per second when --every is not given")
    add_json_option(parser)


@app.command("stream", help="label a clip frame by frame with the step model, as a camera feed",
             arguments=stream_arguments)
def stream_command(args: argparse.Namespace) -> int:
    for record in stream(args.file, args.model, args.every, args.step_fps):
        text = f"frame {record['frame']:4d}  step {record['step']:3d}  {record['label']:12s} {record['score']:.3f}"
        emit({k: v for k, v in record.items() if k != "scores"} if not args.json else record, args.json, text)
    return 0
