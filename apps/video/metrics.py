"""Classification figures for the video app: accuracy, per-class accuracy, the confusion matrix, and
the within-pair accuracy that shows whether a model tells a motion from its time reversal."""
from __future__ import annotations

import io
import os

import numpy as np

from apps.video.classes import DIRECTION_PAIRS
from suite.atomic import write_bytes


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, class_count: int) -> np.ndarray:
    """counts[true, predicted]."""
    matrix = np.zeros((class_count, class_count), np.int64)
    np.add.at(matrix, (np.asarray(labels), np.asarray(predictions)), 1)
    return matrix


def per_class_accuracy(labels: np.ndarray, predictions: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """{class: share of its clips predicted right} (classes with no clips are left out)."""
    table = {}
    for index, name in enumerate(class_names):
        mask = labels == index
        if mask.any():
            table[name] = round(float(np.mean(predictions[mask] == index)), 4)
    return table


def pair_accuracy(labels: np.ndarray, probabilities: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """{"a/b": share of the pair's clips whose own class scores above its time-reversed partner}.

    Chance is 0.5: a model that ignores frame order cannot beat it.
    """
    table = {}
    for first, second in DIRECTION_PAIRS:
        if first not in class_names or second not in class_names:
            continue
        a, b = class_names.index(first), class_names.index(second)
        mask = (labels == a) | (labels == b)
        if not mask.any():
            continue
        own = np.where(labels[mask] == a, probabilities[mask, a], probabilities[mask, b])
        other = np.where(labels[mask] == a, probabilities[mask, b], probabilities[mask, a])
        table[f"{first}/{second}"] = round(float(np.mean(own > other)), 4)
    return table


def summarize(labels: np.ndarray, probabilities: np.ndarray, class_names: tuple[str, ...]) -> dict:
    """accuracy, per-class accuracy, within-pair accuracy and the confusion matrix of one model."""
    predictions = probabilities.argmax(-1)
    return {
        "accuracy": round(float(np.mean(predictions == labels)), 4),
        "per_class_accuracy": per_class_accuracy(labels, predictions, class_names),
        "pair_accuracy": pair_accuracy(labels, probabilities, class_names),
        "confusion_matrix": confusion_matrix(labels, predictions, len(class_names)).tolist(),
    }


def plot_confusion(path: str | os.PathLike, matrices: dict[str, np.ndarray], class_names: tuple[str, ...]) -> None:
    """One heat map per model (e.g. CNN+GRU and baseline) side by side, written atomically as PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(matrices), figsize=(5.2 * len(matrices), 4.6), squeeze=False)
    for axis, (title, matrix) in zip(axes[0], matrices.items()):
        matrix = np.asarray(matrix)
        axis.imshow(matrix, cmap="Blues")
        axis.set_xticks(range(len(class_names)), class_names, rotation=60, ha="right", fontsize=7)
        axis.set_yticks(range(len(class_names)), class_names, fontsize=7)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        axis.set_title(title)
        for (row, col), count in np.ndenumerate(matrix):
            if count:
                axis.text(col, row, str(count), ha="center", va="center", fontsize=6,
                          color="white" if count > matrix.max() / 2 else "black")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_bytes(path, buffer.getvalue())
