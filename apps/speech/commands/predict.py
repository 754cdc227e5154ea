"""``predict FILE.wav...``: the keyword of each file, ``{"file", "label", "score", "top3": [{"label", "score"}]}``.

A file longer than 1 s is cut into 1 s windows every 250 ms; the window whose best keyword score is
highest speaks for the file (a file with no keyword window reports its most confident window). Every
good file is printed; each bad one is one ``error: FILE: problem`` line, and the exit code is 2 at the end.
"""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.app.models import add_model_options
from suite.cli import add_json_option, each_file, emit

app = cli_of(__name__)


def choose_window(probabilities):  # noqa: ANN001, ANN201 (numpy arrays; numpy is imported lazily)
    """Index of the window that decides a file's label."""
    from apps.speech.labels import KEYWORDS

    predicted = probabilities.argmax(axis=-1)
    keyword_windows = (predicted < len(KEYWORDS)).nonzero()[0]
    if keyword_windows.size:
        return int(keyword_windows[probabilities[keyword_windows].max(axis=-1).argmax()])
    return int(probabilities.max(axis=-1).argmax())


def predict_file(scorer, path: str) -> dict:  # noqa: ANN001 (apps.speech.model.Scorer)
    """``{"file", "label", "score", "top3"}`` of one WAV file."""
    from apps.speech import audio, frontend
    from apps.speech.labels import LABELS
    from suite.app.classification import top_k

    probabilities = scorer.probabilities(frontend.features_batch(audio.windows(audio.read_wav(path)), scorer.features))
    top = top_k(probabilities[choose_window(probabilities)], LABELS)
    return {"file": path, "label": top[0]["label"], "score": top[0]["score"], "top3": top}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE.wav", help="WAV files (any rate, mono or stereo)")
    add_model_options(parser, "model_int8.tflite")
    add_json_option(parser)


@app.command("predict", help="the keyword spoken in each WAV file", arguments=_arguments)
def predict_command(args: argparse.Namespace) -> int:
    from apps.speech.model import load_scorer

    scorer = load_scorer(args.model, args.backend)

    def predict_one(path: str) -> None:
        record = predict_file(scorer, path)
        top = "  ".join(f"{entry['label']} {entry['score']:.3f}" for entry in record["top3"])
        emit(record, args.json, f"{path}: {record['label']} ({record['score']:.3f})  top3: {top}")

    return each_file(args.files, predict_one)
