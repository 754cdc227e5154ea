"""``evaluate``: accuracy, per-class accuracy and a confusion-matrix PNG on a Speech Commands folder's test split.

The test split of a make-data folder holds voices never heard in training.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from apps.speech import data
from apps.speech.cli import app
from apps.speech.labels import LABELS
from apps.speech.scoring import load_scorer
from suite.atomic import atomic_path
from suite.cli import add_json_option, emit
from suite.errors import UserError

DEFAULT_FRACTION = 1.0  # unknown (and 0.1 silence) examples per keyword example, as the presets train


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray) -> dict:
    """accuracy, per-class accuracy (classes present only), confusion matrix rows = true class."""
    predicted = np.argmax(probabilities, axis=-1)
    confusion = np.zeros((len(LABELS), len(LABELS)), np.int64)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = {label: round(float(confusion[i, i] / confusion[i].sum()), 4)
                 for i, label in enumerate(LABELS) if confusion[i].sum()}
    return {"accuracy": round(float(np.mean(predicted == labels)), 4) if len(labels) else 0.0,
            "examples": int(len(labels)), "per_class": per_class, "confusion": confusion.tolist()}


def plot_confusion(confusion: list[list[int]], path: str | os.PathLike, title: str) -> None:
    """Row-normalized confusion matrix with counts, written atomically."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matrix = np.asarray(confusion, np.float64)
    shares = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    figure, axis = plt.subplots(figsize=(7.5, 6.5))
    image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
    axis.set_xticks(range(len(LABELS)), LABELS, rotation=60, ha="right")
    axis.set_yticks(range(len(LABELS)), LABELS)
    axis.set_xlabel("predicted")
    axis.set_ylabel("true")
    axis.set_title(title)
    for (row, column), count in np.ndenumerate(matrix.astype(int)):
        if count:
            axis.text(column, row, str(count), ha="center", va="center", fontsize=7,
                      color="white" if shares[row, column] > 0.5 else "black")
    figure.colorbar(image, ax=axis, fraction=0.046)
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, dpi=100, format="png")
    plt.close(figure)


def evaluate_folder(model: str | os.PathLike | None, folder: str | os.PathLike, split: str = "testing",
                    unknown_fraction: float = DEFAULT_FRACTION, silence_fraction: float = 0.1,
                    seed: int = 0) -> dict:
    """Score one split of a Speech Commands folder with a model folder, .tflite or .onnx file."""
    examples = data.load_splits(folder, silence_fraction, unknown_fraction, seed)[split]
    if not examples:
        raise UserError(f"{folder}: the {split} split is empty")
    scorer = load_scorer(model)
    features, labels = data.split_features(examples)
    result = classification_metrics(labels, scorer.probabilities(features))
    return {"model": scorer.name, "data": str(folder), "split": split, **result}


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="Speech Commands folder (real, or made by make-data)")
    parser.add_argument("--model", default=None, help="model folder, .tflite or .onnx (default: saved_models/speech)")
    parser.add_argument("--split", default="testing", choices=["training", "validation", "testing"])
    parser.add_argument("--unknown-fraction", type=float, default=DEFAULT_FRACTION,
                        help="unknown examples per keyword example (default 1.0)")
    parser.add_argument("--confusion", default=None, help="confusion-matrix PNG path (default: confusion_<split>.png "
                                                          "in the model folder, or next to the model file)")
    add_json_option(parser)


@app.command("evaluate", "accuracy, per-class accuracy and confusion matrix on a folder's test split", _arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    result = evaluate_folder(args.model, args.data, args.split, args.unknown_fraction)
    model_path = Path(result["model"])
    default_png = (model_path / f"confusion_{args.split}.png" if model_path.is_dir()
                   else model_path.parent / f"confusion_{args.split}_{model_path.stem}.png")
    png = Path(args.confusion) if args.confusion else default_png
    plot_confusion(result["confusion"], png, f"{model_path.name}: {args.split} accuracy {result['accuracy']:.3f}")
    result["confusion_png"] = str(png)
    per_class = "  ".join(f"{label}={share:.3f}" for label, share in result["per_class"].items())
    emit(result, args.json, f"{result['model']}: {args.split} accuracy {result['accuracy']:.4f} on "
                            f"{result['examples']} clips\n  {per_class}\n  confusion matrix: {png}")
    return 0
