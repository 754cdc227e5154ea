"""``predict FILE...``: the label of each whole clip, with its score and the top 3 classes.

Runs the exported int8 clip model (numpy + LiteRT/onnxruntime, no TensorFlow) unless ``--backend keras``.
Every good file is printed; each bad one is one ``error: FILE: problem`` line, and the exit code is 2.
"""
from __future__ import annotations

import argparse
import sys

from suite.app import cli_of
from suite.app.models import BACKENDS
from suite.cli import EXIT_USER_ERROR, add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)


def add_model_options(parser: argparse.ArgumentParser, what: str) -> None:
    """--model and --backend, shared by predict and stream."""
    parser.add_argument("--model", metavar="PATH",
                        help=f"model directory (default: the shipped saved_models/video) or its {what} .tflite/.onnx")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="tflite (default), onnx, or keras (needs TensorFlow; for comparison)")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="video files (.mp4, .avi)")
    add_model_options(parser, "model_int8")
    add_json_option(parser)


@app.command("predict", help="classify whole clips (exported int8 model; no TensorFlow)", arguments=arguments)
def predict(args: argparse.Namespace) -> int:
    from apps.video.model import CLIP_FILE, clip_scorer, open_model, predict_file

    model = open_model(args.model, CLIP_FILE, args.backend)
    score = clip_scorer(model)
    failed = 0
    for file in args.files:
        try:
            record = predict_file(model, score, file)
        except UserError as error:
            print(f"error: {error}", file=sys.stderr, flush=True)
            failed += 1
            continue
        others = ", ".join(f"{entry['label']} {entry['score']:.3f}" for entry in record["top3"][1:])
        emit(record, args.json, f"{record['file']}: {record['label']} ({record['score']:.3f}; then {others})")
    return EXIT_USER_ERROR if failed else 0
