"""``evaluate --data DIR``: accuracy, per-class accuracy and a confusion-matrix PNG on one split of a folder.

DIR is Google's full release layout (word folders, ``_background_noise_/``, list files) or its official test
set (``_silence_/`` and ``_unknown_/`` beside the ten keywords; every clip is a test clip, scored as it is).

The test split of a generated folder holds voices never heard in training. The figures have the keys every
classifying app uses (suite.app.classification): accuracy, examples, per_class_accuracy, confusion_matrix.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)
DEFAULT_FRACTION = 1.0  # unknown examples per keyword example, as the presets train
DEFAULT_SILENCE = 0.1  # silence examples per keyword example, as the presets train
SPLITS = ("training", "validation", "testing")


def evaluate_folder(model: str | os.PathLike | None, folder: str | os.PathLike, split: str = "testing",
                    unknown_fraction: float = DEFAULT_FRACTION, silence_fraction: float = DEFAULT_SILENCE,
                    seed: int = 0, backend: str | None = None) -> dict:
    """Score one split of a Speech Commands folder with a model directory, .tflite or .onnx file."""
    from apps.speech import data, dataset
    from apps.speech.labels import LABELS
    from apps.speech.model import load_scorer
    from suite.app.classification import classification_metrics

    scorer = load_scorer(model, backend)
    examples = data.load_splits(folder, silence_fraction, unknown_fraction, seed)[split]
    if not examples:
        raise UserError(f"{folder}: the {split} split is empty")
    features, labels = data.split_features(examples, features=scorer.features)
    result = classification_metrics(labels, scorer.probabilities(features), LABELS)
    return {"model": scorer.name, "data": str(folder), "layout": dataset.folder_layout(Path(folder)), "split": split,
            **result}


def default_plot(model: str, split: str) -> Path | None:
    """confusion_<split>.png in the model directory, or next to an exported file; None for the shipped model
    (the installed package is not written to unasked: pass --out)."""
    from suite.app.paths import is_inside_shipped

    path = Path(model)
    if is_inside_shipped(path):
        return None
    return path / f"confusion_{split}.png" if path.is_dir() else path.parent / f"confusion_{split}_{path.stem}.png"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, metavar="DIR", help="Speech Commands folder (real, or made by "
                                                                     "prepare-data)")
    add_model_options(parser, "model_int8.tflite")
    parser.add_argument("--split", default="testing", choices=SPLITS)
    parser.add_argument("--unknown-fraction", type=float, default=DEFAULT_FRACTION,
                        help=f"unknown examples per keyword example (default {DEFAULT_FRACTION})")
    parser.add_argument("--out", metavar="PNG", help="confusion-matrix PNG (default: confusion_<split>.png in the "
                                                     "model directory, or next to the model file; none for the "
                                                     "shipped model)")
    add_json_option(parser)


@app.command("evaluate", help="accuracy, per-class accuracy and confusion matrix on a folder's split",
             arguments=_arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    from apps.speech.labels import LABELS
    from suite.app.classification import plot_confusion
    from suite.app.models import check_output_file

    out = check_output_file(args.out, (".png",)) if args.out else None
    result = evaluate_folder(args.model, args.data, args.split, args.unknown_fraction, backend=args.backend)
    png = out or default_plot(result["model"], args.split)
    if png is not None:
        model = Path(result["model"])
        plot_confusion(png, {model.name: result["confusion_matrix"]}, LABELS,
                       f"{model.parent.name}/{model.name} on the {args.split} split of {Path(args.data).name}")
    result["confusion_png"] = str(png) if png else None
    per_class = "  ".join(f"{label}={share:.3f}" for label, share in result["per_class_accuracy"].items())
    emit(result, args.json, f"{result['model']}: {args.split} accuracy {result['accuracy']:.4f} on "
                            f"{result['examples']} clips\n  {per_class}\n  confusion matrix: "
                            f"{png or 'pass --out PNG (the shipped model folder is not written to)'}")
    return 0
