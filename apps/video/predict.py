"""``predict FILE...``: the label of each whole clip, with its score and the top 3 classes."""
from __future__ import annotations

import argparse

import numpy as np

from apps.video.cli import app
from apps.video.data import unit_to_model_input
from apps.video.decode import load_clip
from apps.video.scoring import load_scorer, top_k
from apps.video.train import DEFAULT_OUT
from suite.cli import add_json_option, emit
from suite.modeldir import read_config


def predict(files: list[str], model_path: str = DEFAULT_OUT) -> list[dict]:
    """One record per file: {"file", "label", "score", "top3"}. Every file is decoded before any is scored,
    so a bad file stops the command before it prints anything."""
    score, model_dir = load_scorer(model_path)
    config = read_config(model_dir)
    class_names = tuple(config["classes"])
    size = (config["frame_size"], config["frame_size"])
    clips = np.stack([load_clip(file, config["num_frames"], size) for file in files])
    probabilities = score(unit_to_model_input(clips))
    records = []
    for file, scores in zip(files, probabilities):
        best = top_k(scores, class_names)
        records.append({"file": file, "label": best[0]["label"], "score": best[0]["score"], "top3": best})
    return records


def predict_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="video files (.mp4, .avi)")
    parser.add_argument("--model", default=DEFAULT_OUT, help="model directory, or its .tflite/.onnx export")
    add_json_option(parser)


@app.command("predict", help="classify whole clips", arguments=predict_arguments)
def predict_command(args: argparse.Namespace) -> int:
    for record in predict(args.files, args.model):
        others = ", ".join(f"{entry['label']} {entry['score']:.3f}" for entry in record["top3"][1:])
        emit(record, args.json, f"{record['file']}: {record['label']} ({record['score']:.3f}; then {others})")
    return 0
