"""The video app's figures: the shared classification metrics plus the within-pair accuracy that shows
whether a model tells a motion from its time reversal, the evaluation record and the confusion plot."""
from __future__ import annotations

import os

import numpy as np

from apps.video.classes import DIRECTION_PAIRS
from suite.app.classification import classification_metrics, plot_confusion

# Display names of the two models a video model directory holds.
MODEL_NAMES = {"model": "CNN+GRU", "baseline": "per-frame baseline"}


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
    """accuracy, examples, per-class accuracy, confusion matrix (suite.app.classification) and pair accuracy."""
    labels = np.asarray(labels)
    return {**classification_metrics(labels, probabilities, class_names),
            "pair_accuracy": pair_accuracy(labels, np.asarray(probabilities), class_names)}


def evaluation_record(results: dict[str, dict], data: str, model: str, split: str | None) -> dict:
    """evaluate's record: the model's figures, with the baseline's beside them (None without a baseline)."""
    main, baseline = results["model"], results.get("baseline", {})
    return {"data": data, "model": model, "split": split or "all", "examples": main["examples"],
            "accuracy": main["accuracy"], "baseline_accuracy": baseline.get("accuracy"),
            "per_class_accuracy": main["per_class_accuracy"],
            "baseline_per_class_accuracy": baseline.get("per_class_accuracy"),
            "pair_accuracy": main["pair_accuracy"], "baseline_pair_accuracy": baseline.get("pair_accuracy"),
            "confusion_matrix": main["confusion_matrix"]}


def format_evaluation(record: dict) -> str:
    lines = [f"{record['examples']} clips ({record['split']}): accuracy {record['accuracy']:.3f}"
             + (f", per-frame baseline {record['baseline_accuracy']:.3f}" if record["baseline_accuracy"] is not None
                else "")]
    baseline = record["baseline_per_class_accuracy"] or {}
    for name, value in record["per_class_accuracy"].items():
        lines.append(f"  {name:12s} {value:.3f}" + (f"   baseline {baseline[name]:.3f}" if name in baseline else ""))
    pairs = record["baseline_pair_accuracy"] or {}
    for pair, value in record["pair_accuracy"].items():
        lines.append(f"  within {pair:22s} {value:.3f}" + (f"   baseline {pairs[pair]:.3f}" if pair in pairs else ""))
    if record.get("plot"):
        lines.append(f"confusion matrix: {record['plot']}")
    return "\n".join(lines)


def plot_pair(path: str | os.PathLike, results: dict[str, dict], class_names: tuple[str, ...], model_name: str,
              data_name: str) -> None:
    """The model's and the baseline's confusion matrices side by side (suite.app.classification)."""
    matrices = {MODEL_NAMES[name]: np.asarray(result["confusion_matrix"]) for name, result in results.items()}
    plot_confusion(path, matrices, class_names, title=f"video model {model_name} on {data_name}")
