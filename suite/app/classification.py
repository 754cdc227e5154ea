"""Classification figures and the confusion plot, the same keys for every classifying app.

``classification_metrics(labels, probabilities, class_names)`` ->
``{"accuracy", "examples", "per_class_accuracy": {name: share}, "confusion_matrix": [[...]], "top_k": ...}``.
"""
from __future__ import annotations

import io
import os
from typing import Mapping, Sequence

import numpy as np

from suite.atomic import write_bytes

TOP_K = 3  # candidates listed per prediction


def confusion_matrix(labels: np.ndarray, predictions: np.ndarray, class_count: int) -> np.ndarray:
    """counts[true, predicted]."""
    matrix = np.zeros((class_count, class_count), np.int64)
    np.add.at(matrix, (np.asarray(labels, np.int64), np.asarray(predictions, np.int64)), 1)
    return matrix


def classification_metrics(labels: np.ndarray, probabilities: np.ndarray, class_names: Sequence[str]) -> dict:
    """Accuracy, per-class accuracy (classes with examples only) and the confusion matrix."""
    labels = np.asarray(labels, np.int64)
    predictions = np.asarray(probabilities).argmax(-1)
    matrix = confusion_matrix(labels, predictions, len(class_names))
    per_class = {name: round(float(matrix[i, i] / matrix[i].sum()), 4)
                 for i, name in enumerate(class_names) if matrix[i].sum()}
    return {"accuracy": round(float(np.mean(predictions == labels)), 4) if len(labels) else float("nan"),
            "examples": int(len(labels)), "per_class_accuracy": per_class, "confusion_matrix": matrix.tolist()}


def top_k(probabilities: np.ndarray, class_names: Sequence[str], k: int = TOP_K) -> list[dict]:
    """``[{"label", "score"}, ...]``, best first: the one top-k shape every app prints."""
    scores = np.asarray(probabilities, np.float64).reshape(-1)
    order = np.argsort(-scores)[:k]
    return [{"label": class_names[i], "score": round(float(scores[i]), 4)} for i in order]


def plot_confusion(path: str | os.PathLike, matrices: Mapping[str, np.ndarray], class_names: Sequence[str],
                   title: str) -> None:
    """Row-normalised heat maps with counts, one per model side by side, written atomically as PNG.

    ``title`` names the model and the data; each panel's title names the model and its accuracy.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(matrices), figsize=(5.4 * len(matrices), 5.0), squeeze=False)
    for axis, (name, matrix) in zip(axes[0], matrices.items()):
        counts = np.asarray(matrix, np.float64)
        shares = counts / np.maximum(counts.sum(1, keepdims=True), 1)
        image = axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        axis.set_xticks(range(len(class_names)), class_names, rotation=60, ha="right", fontsize=7)
        axis.set_yticks(range(len(class_names)), class_names, fontsize=7)
        axis.set_xlabel("predicted class")
        axis.set_ylabel("true class")
        accuracy = np.trace(counts) / max(counts.sum(), 1)
        axis.set_title(f"{name}: accuracy {accuracy:.3f} ({int(counts.sum())} examples)", fontsize=9)
        for (row, col), count in np.ndenumerate(counts):
            if count:
                axis.text(col, row, str(int(count)), ha="center", va="center", fontsize=6,
                          color="white" if shares[row, col] > 0.5 else "black")
        figure.colorbar(image, ax=axis, fraction=0.046, label="share of the true class")
    figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    write_bytes(path, buffer.getvalue())
