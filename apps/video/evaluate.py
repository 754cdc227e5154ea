"""``evaluate``: accuracy, per-class accuracy and a confusion-matrix PNG on a folder of clips, with the
per-frame baseline beside the model (the baseline stored in the same model directory)."""
from __future__ import annotations

import argparse
from pathlib import Path

from apps.video import data, metrics
from apps.video.cli import app
from apps.video.dataset import SPLITS
from apps.video.scoring import load_baseline, load_scorer
from apps.video.train import DEFAULT_OUT
from suite.cli import add_json_option, emit
from suite.errors import UserError
from suite.modeldir import read_config

DEFAULT_PLOT = "confusion_matrix.png"


def evaluate(data_dir: str, model_path: str = DEFAULT_OUT, split: str | None = None,
             plot: str | None = DEFAULT_PLOT, show_progress: bool = True) -> dict:
    """Score every clip of ``data_dir`` (or of one split) with the model and its baseline."""
    if not Path(data_dir).is_dir():
        raise UserError(f"{data_dir}: no such folder")
    score, model_dir = load_scorer(model_path)
    config = read_config(model_dir)
    class_names = tuple(config["classes"])
    folder = data.scan_with_classes(data_dir, class_names)
    frames, labels, _ = data.split_arrays(folder, split, config["num_frames"],
                                          (config["frame_size"], config["frame_size"]), show_progress)
    inputs = data.to_model_input(frames)
    results = {"model": metrics.summarize(labels, score(inputs), class_names)}
    baseline = load_baseline(model_dir)
    if baseline is not None:
        results["baseline"] = metrics.summarize(labels, baseline(inputs), class_names)
    record = {"data": data_dir, "model": str(model_path), "split": split or "all", "clips": int(len(labels)),
              "accuracy": results["model"]["accuracy"],
              "baseline_accuracy": results.get("baseline", {}).get("accuracy"),
              "per_class_accuracy": results["model"]["per_class_accuracy"],
              "baseline_per_class_accuracy": results.get("baseline", {}).get("per_class_accuracy"),
              "pair_accuracy": results["model"]["pair_accuracy"],
              "baseline_pair_accuracy": results.get("baseline", {}).get("pair_accuracy"),
              "confusion_matrix": results["model"]["confusion_matrix"]}
    if plot:
        titles = {"model": f"CNN+GRU ({record['accuracy']:.3f})", "baseline": "per-frame baseline"}
        if baseline is not None:
            titles["baseline"] += f" ({record['baseline_accuracy']:.3f})"
        metrics.plot_confusion(plot, {titles[name]: result["confusion_matrix"] for name, result in results.items()},
                               class_names)
        record["plot"] = plot
    return record


def format_text(record: dict) -> str:
    lines = [f"{record['clips']} clips ({record['split']}): accuracy {record['accuracy']:.3f}"
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


def evaluate_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, help="UCF101-style folder (class subfolders of .mp4/.avi)")
    parser.add_argument("--model", default=DEFAULT_OUT, help="model directory, or its .tflite/.onnx export")
    parser.add_argument("--split", choices=SPLITS, help="only this split of splits.csv (default: every clip)")
    parser.add_argument("--plot", default=DEFAULT_PLOT, help="confusion-matrix PNG to write ('' for none)")
    add_json_option(parser)


@app.command("evaluate", help="accuracy and confusion matrix on a folder, with the per-frame baseline",
             arguments=evaluate_arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    record = evaluate(args.data, args.model, args.split, args.plot or None)
    emit(record, args.json, format_text(record))
    return 0
