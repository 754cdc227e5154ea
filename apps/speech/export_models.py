"""``export``: int8 TFLite and ONNX of the window model and the streaming step model, via export/.

Then scores the int8 window models on the whole held-out split (unseen voices) through the device
runtime and records accuracies and file sizes in metrics.json.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from apps.speech import calibration  # noqa: F401  (registers the "speech" export dataset)
from apps.speech.cli import app
from apps.speech.evaluate import evaluate_folder
from apps.speech.scoring import resolve_model_dir
from suite.errors import UserError
from suite.modeldir import read_config, update_metrics

# (format, step model?) pairs written by default, as export/ names them: model_int8.tflite, step_int8.tflite, ...
EXPORTS = (("tflite", False), ("tflite", True), ("onnx", False), ("onnx", True))


def export_all(model_dir: str | os.PathLike, formats: tuple[str, ...] = ("tflite", "onnx"),
               verbose: bool = True, calibration_data: str | None = None) -> dict:
    """Write every int8 export of ``model_dir``; returns and merges into metrics.json the sizes and accuracies.

    ``calibration_data`` (an .npz, see export/calibration.py) replaces the app's calibration/parity data.
    """
    from export import default_output_path, export_model_dir

    model_dir = Path(model_dir)
    config = read_config(model_dir)
    summary: dict = {"export_gate_failures": []}
    for format, step in EXPORTS:
        if format not in formats:
            continue
        path = default_output_path(model_dir, format, "int8", step)
        report_path = model_dir / f"{path.stem}_{format}_report.json"
        try:
            export_model_dir(model_dir, format=format, quantize="int8", step=step, verbose=verbose,
                             calibration_data=calibration_data, report=report_path)
        except UserError as error:
            if not report_path.is_file():
                raise  # bad input: nothing was exported
            # The file and its parity report are written; the 99% argmax-agreement gate failed.
            # Keep going so every figure lands in metrics.json, and say so (exit 1).
            summary["export_gate_failures"].append(str(error))
        report = json.loads(report_path.read_text())
        summary[f"{path.name}_bytes"] = path.stat().st_size
        summary[f"{path.name}_agreement"] = report.get("agreement")  # argmax agreement with Keras, per call
        if step:  # stepping a whole clip vs the window model
            summary[f"{path.name}_step_vs_sequence_agreement"] = report.get("step_argmax_agreement")
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
        if not isinstance(value, (dict, list)):
            print(f"{key}: {value}")
    for failure in summary["export_gate_failures"]:
        print(f"warning: {failure}", file=sys.stderr)
    return 1 if summary["export_gate_failures"] else 0
