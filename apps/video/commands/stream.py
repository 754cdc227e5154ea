"""``stream FILE``: run the step model frame by frame, as on a camera feed, printing the running label.

Each new frame costs the CNN on that frame plus one GRU step; the exported step model
(``step_int8.tflite`` / ``.onnx`` through export.runtime, no TensorFlow) keeps the GRU state between
frames, or Keras with ``--backend keras``. The feed is thinned to about the training clips' rate.
"""
from __future__ import annotations

import argparse

from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)
DEFAULT_STEP_FPS = 8.0  # apps.video.model.DEFAULT_STEP_FPS, repeated so --help stays light (a test keeps them equal)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a video file (.mp4, .avi), read frame by frame")
    add_model_options(parser, "step_int8.tflite")
    parser.add_argument("--every", type=int, help="use every n-th frame (default: from the frame rate)")
    parser.add_argument("--step-fps", type=float, default=DEFAULT_STEP_FPS,
                        help="model steps per second when --every is not given")
    add_json_option(parser)


@app.command("stream", help="label a clip frame by frame with the step model, as a camera feed",
             arguments=arguments)
def stream(args: argparse.Namespace) -> int:
    from apps.video.model import STEP_FILE, open_model, stream_file

    model = open_model(args.model, STEP_FILE, args.backend)
    for record in stream_file(model, args.file, args.every, args.step_fps):
        text = f"frame {record['frame']:4d}  step {record['step']:3d}  {record['label']:12s} {record['score']:.3f}"
        emit(record, args.json, text)
    return 0
