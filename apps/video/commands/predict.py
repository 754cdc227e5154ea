"""``predict FILE...``: the label of each whole clip, with its score and the top 3 classes.

Runs the exported int8 clip model (numpy + LiteRT/onnxruntime, no TensorFlow) unless ``--backend keras``.
Every good file is printed; each bad one is one ``error: FILE: problem`` line, and the exit code is 2.
"""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.app.models import add_model_options
from suite.cli import add_json_option, each_file, emit

app = cli_of(__name__)


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="video files (.mp4, .avi)")
    add_model_options(parser, "model_int8.tflite")
    add_json_option(parser)


@app.command("predict", help="classify whole clips (exported int8 model; no TensorFlow)", arguments=arguments)
def predict(args: argparse.Namespace) -> int:
    from apps.video.model import CLIP_FILE, clip_scorer, open_model, predict_file

    model = open_model(args.model, CLIP_FILE, args.backend)
    score = clip_scorer(model)

    def predict_one(file: str) -> None:
        record = predict_file(model, score, file)
        others = ", ".join(f"{entry['label']} {entry['score']:.3f}" for entry in record["top3"][1:])
        emit(record, args.json, f"{record['file']}: {record['label']} ({record['score']:.3f}; then {others})")

    return each_file(args.files, predict_one)
