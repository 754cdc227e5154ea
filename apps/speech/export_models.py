"""``export``: int8 TFLite and ONNX of the window model and the streaming step model, via export/.

Then scores the int8 window models on the whole held-out split (unseen voices) through the device
runtime and records accuracies and file sizes in metrics.json.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from apps.speech import calibration  # noqa: F401  (registers the "speech" export dataset)
from apps.speech.cli import app
from apps.speech.evaluate import evaluate_folder
from apps.speech.scoring import resolve_model_dir
from suite.modeldir import read_config, update_metrics

# (format, step model?) pairs written by default, as export/ names them: model_int8.tflite, step_int8.tflite, ...
EXPORTS = (("tflite", False), ("tflite", True), ("onnx", False), ("onnx", True))


def export_all(model_dir: str | os.PathLike, formats: tuple[str, ...] = ("tflite", "onnx"),
               verbose: bool = True) -> dict:
    """Write every int8 export of ``model_dir``; returns and merges into metrics.json the sizes and accuracies."""
    from export import default_output_path, export_model_dir

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    summary: dict = {}
    for format, step in EXPORTS:
        if format not in formats:
            continue
        path = default_output_path(model_dir, format, "int8", step)
        report = export_model_dir(model_dir, format=format, quantize="int8", step=step, verbose=verbose)
        summary[f"{path.name}_bytes"] = path.stat().st_size
        # window models: argmax agreement with Keras; step models: stepped vs sequence model
        summary[f"{path.name}_agreement"] = report.get("step_argmax_agreement" if step else "agreement")
    settings = config.get("data", {})
    folder = calibration.data_folder(config)
    for format in formats:
        path = default_output_path(model_dir, format, "int8", False)
        scored = evaluate_folder(path, folder, "testing", settings.get("unknown_fraction", 1.0),
                                 settings.get("silence_fraction", 0.1), settings.get("seed", 0))
        summary[f"heldout_accuracy_int8_{format}"] = scored["accuracy"]
        if format == "tflite":
            summary["heldout_accuracy_int8"] = scored["accuracy"]
            summary["heldout_per_class_int8"] = scored["per_class"]
    summary["model_keras_bytes"] = (model_dir / "model.keras").stat().st_size
    update_metrics(model_dir, **summary)
    return summary


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, help="model folder (default: saved_models/speech)")
    parser.add_argument("--format", action="append", choices=["tflite", "onnx"], default=None,
                        help="export only this format (repeatable; default both)")


@app.command("export", "int8 TFLite + ONNX of the window and step models, scored on held-out voices", _arguments)
def export_command(args: argparse.Namespace) -> int:
    model_dir = resolve_model_dir(args.model)
    summary = export_all(model_dir, tuple(args.format or ("tflite", "onnx")))
    for key, value in summary.items():
        if not isinstance(value, dict):
            print(f"{key}: {value}")
    return 0
