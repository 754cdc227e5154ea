"""``stream FILE.wav``: keyword detections with start/end times in a long recording, frame by frame.

Audio goes through a ring buffer: every 20 ms (320 new samples) the newest 30 ms (480 samples) become
one log-mel frame (``frontend.frame_features``), and the int8 step model (``step_int8.tflite`` through
``export.runtime.StreamingRuntime``, or the Keras step model compiled with ``suite.streaming``) advances
one step. The model was trained on 1 s windows that start from a zero state, so ``streams`` copies of
the state run staggered: each is reset every 49 frames, offset by 49 / streams frames from the next, and
scores the window it has just completed. That is ``streams`` steps per frame (4 by default, against the
49 steps of re-scoring a whole 1 s window every frame). The window scores go through RecognizeCommands.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Callable, Iterator

import numpy as np

from apps.speech import audio, frontend
from apps.speech.cli import app
from apps.speech.features import NUM_FRAMES
from apps.speech.recognize import Detection, RecognizeCommands
from apps.speech.scoring import DEFAULT_MODEL_DIR
from suite.cli import add_json_option, emit
from suite.errors import UserError

STREAMS = 4  # staggered states: a completed 1 s window every 49 / 4 ~ 12 frames (245 ms)
STEP_FILE = "step_int8.tflite"
FEED_SAMPLES = 1_600  # audio is fed in 100 ms chunks, as a microphone callback would


class FrameBuffer:
    """Audio in any chunk sizes -> log-mel frames, each as soon as its 480 samples have arrived.

    Holds at most 480 + chunk samples: the next frame starts at the buffer's first sample, and each
    frame consumed drops 320 samples (20 ms), so consecutive frames overlap by 160 samples, as in
    ``frontend.log_mel``: frame i of a stream equals frame i of the whole recording.
    """

    def __init__(self) -> None:
        self.pending = np.zeros(0, np.float32)

    def push(self, samples: np.ndarray) -> list[np.ndarray]:
        self.pending = np.concatenate([self.pending, np.asarray(samples, np.float32)])
        frames = []
        while len(self.pending) >= frontend.WINDOW_SAMPLES:
            frames.append(frontend.frame_features(self.pending[:frontend.WINDOW_SAMPLES]))
            self.pending = self.pending[frontend.HOP_SAMPLES:]
        return frames


def audio_frames(signal: np.ndarray, chunk: int = FEED_SAMPLES) -> Iterator[np.ndarray]:
    """The feature frames of a recording, fed through a FrameBuffer chunk by chunk."""
    buffer = FrameBuffer()
    for start in range(0, len(signal), chunk):
        yield from buffer.push(signal[start:start + chunk])


class RuntimeStepper:
    """One exported step model (.tflite/.onnx) whose state is swapped per stream."""

    def __init__(self, path: Path) -> None:
        from export.runtime import RuntimeInputError, StreamingRuntime

        try:
            self.runtime = StreamingRuntime(str(path))
        except RuntimeInputError as error:
            raise UserError(str(error)) from None
        self.name = str(path)

    def initial_state(self) -> Any:
        self.runtime.reset()
        return self.runtime.states

    def step(self, frame: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        self.runtime.states = state  # StreamingRuntime.step updates this dict in place
        return self.runtime.step(frame).reshape(-1), state


class KerasStepper:
    """The Keras step model of a model folder, compiled once (suite.streaming.compiled_step)."""

    def __init__(self, model_dir: Path) -> None:
        from suite.modeldir import load_model_dir
        from suite.streaming import compiled_step, initial_states, step_model

        model, config = load_model_dir(model_dir)
        self.step_keras = step_model(model)
        self.run = compiled_step(self.step_keras)
        self.frame_shape = (1, 1, *config["model"]["input_shape"][1:])
        self.zero_states = initial_states(self.step_keras, 1)
        self.name = f"{model_dir} (Keras step model)"

    def initial_state(self) -> Any:
        return list(self.zero_states)

    def step(self, frame: np.ndarray, state: Any) -> tuple[np.ndarray, Any]:
        scores, state = self.run(np.asarray(frame, np.float32).reshape(self.frame_shape), state)
        return np.asarray(scores).reshape(-1), list(state)


def load_stepper(path: str | None, use_keras: bool = False) -> RuntimeStepper | KerasStepper:
    """A step .tflite/.onnx file, or a model folder (its step_int8.tflite, or with ``use_keras`` its Keras model)."""
    path = Path(path) if path else DEFAULT_MODEL_DIR
    if not path.exists():
        raise UserError(f"{path}: no such model folder or step model file")
    if path.is_file():
        if path.suffix.lower() not in (".tflite", ".onnx"):
            raise UserError(f"{path}: expected a model folder or a step model .tflite/.onnx")
        return RuntimeStepper(path)
    if use_keras or not (path / STEP_FILE).is_file():
        return KerasStepper(path)
    return RuntimeStepper(path / STEP_FILE)


def window_scores(stepper: Any, frames: Iterator[np.ndarray], streams: int = STREAMS,
                  window: int = NUM_FRAMES) -> Iterator[tuple[float, float, np.ndarray]]:
    """(start s, end s, class scores) of every completed window of the staggered streams, in time order."""
    if not 1 <= streams <= window:
        raise UserError(f"--streams {streams}: must be between 1 and {window}")
    offsets = [index * window // streams for index in range(streams)]
    states = [stepper.initial_state() for _ in offsets]
    for t, frame in enumerate(frames):
        for index, offset in enumerate(offsets):
            if t < offset:
                continue
            position = (t - offset) % window
            if position == 0:
                states[index] = stepper.initial_state()
            scores, states[index] = stepper.step(frame, states[index])
            if position == window - 1:
                first = t - window + 1
                yield (first * frontend.HOP_SAMPLES / frontend.SAMPLE_RATE,
                       (t * frontend.HOP_SAMPLES + frontend.WINDOW_SAMPLES) / frontend.SAMPLE_RATE, scores)


def detect(stepper: Any, signal: np.ndarray, streams: int = STREAMS,
           recognizer: RecognizeCommands | None = None) -> list[Detection]:
    recognizer = recognizer or RecognizeCommands()
    detections = []
    for start, end, scores in window_scores(stepper, audio_frames(signal), streams):
        found = recognizer.process(start, end, scores)
        if found is not None:
            detections.append(found)
    return detections


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE.wav", help="a recording of any length")
    parser.add_argument("--model", default=None,
                        help=f"model folder (uses its {STEP_FILE}) or a step .tflite/.onnx (default: saved_models/speech)")
    parser.add_argument("--keras", action="store_true", help="step the Keras model instead of the int8 export")
    parser.add_argument("--streams", type=int, default=STREAMS, help=f"staggered window states (default {STREAMS})")
    parser.add_argument("--threshold", type=float, default=None, help="mean score needed for a detection")
    add_json_option(parser)


@app.command("stream", "detect keywords frame by frame in a long recording (int8 step model)", _arguments)
def stream_command(args: argparse.Namespace) -> int:
    signal = audio.read_wav(args.file)
    stepper = load_stepper(args.model, args.keras)
    recognizer = RecognizeCommands() if args.threshold is None else RecognizeCommands(threshold=args.threshold)
    detections = detect(stepper, signal, args.streams, recognizer)
    for found in detections:
        record = {"file": args.file, **found.to_dict()}
        emit(record, args.json, f"{found.start:7.2f} - {found.end:7.2f} s  {found.label} ({found.score:.3f})")
    if not detections and not args.json:
        print(f"{args.file}: no keyword detected in {len(signal) / frontend.SAMPLE_RATE:.1f} s")
    return 0
