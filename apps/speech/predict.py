"""``predict FILE.wav...``: the keyword of each file, ``{"file", "label", "score", "top3"}``.

A file longer than 1 s is cut into 1 s windows every 250 ms; the window whose best keyword score is
highest speaks for the file (a file with no keyword window reports its most confident window).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from apps.speech import audio
from apps.speech.cli import app
from apps.speech.data import log_mel_batch
from apps.speech.labels import KEYWORDS, LABELS
from apps.speech.scoring import Scorer, load_scorer
from suite.cli import add_json_option, emit

TOP_K = 3


def choose_window(probabilities: np.ndarray) -> int:
    """Index of the window that decides a file's label."""
    predicted = probabilities.argmax(axis=-1)
    keyword_windows = np.flatnonzero(predicted < len(KEYWORDS))
    if keyword_windows.size:
        return int(keyword_windows[np.argmax(probabilities[keyword_windows].max(axis=-1))])
    return int(np.argmax(probabilities.max(axis=-1)))


def predict_file(scorer: Scorer, path: str) -> dict:
    clips = audio.windows(audio.read_wav(path))
    probabilities = scorer.probabilities(log_mel_batch(clips))
    scores = probabilities[choose_window(probabilities)]
    order = np.argsort(scores)[::-1][:TOP_K]
    return {"file": path, "label": LABELS[order[0]], "score": round(float(scores[order[0]]), 4),
            "top3": [[LABELS[i], round(float(scores[i]), 4)] for i in order]}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="WAV files (any rate, mono or stereo)")
    parser.add_argument("--model", default=None, help="model folder, .tflite or .onnx (default: saved_models/speech)")
    add_json_option(parser)


@app.command("predict", "the keyword spoken in each WAV file", _arguments)
def predict_command(args: argparse.Namespace) -> int:
    for path in args.files:  # check every file before loading the model: bad input fails fast
        audio.check_wav_header(Path(path))
    scorer = load_scorer(args.model)
    for path in args.files:
        record = predict_file(scorer, path)
        top = "  ".join(f"{label} {score:.3f}" for label, score in record["top3"])
        emit(record, args.json, f"{path}: {record['label']} ({record['score']:.3f})  top3: {top}")
    return 0
