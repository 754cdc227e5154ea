"""``export``: int8 TFLite and ONNX of the clip model and of the step model (one frame + one GRU step).

Each export goes through ``export.export_model_dir``, which checks argmax agreement with Keras on
rendered held-out clips (apps/video/calibration.py) and stops with exit 2 below 99%. The int8
accuracies and file sizes are merged into the model's metrics.json.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from apps.video.cli import app
from apps.video.train import DEFAULT_OUT
from suite.cli import add_json_option, emit
from suite.errors import UserError
from suite.modeldir import read_config, update_metrics

FORMATS = ("tflite", "onnx")
KINDS = {"model": False, "step": True}  # file prefix -> step model?


def export_all(model_dir: str = DEFAULT_OUT, formats: tuple[str, ...] = FORMATS, verbose: bool = False) -> dict:
    """Export every (format, clip/step) pair; returns {file name: summary} and updates metrics.json."""
    from export import default_output_path, export_model_dir

    read_config(model_dir)  # a missing or bad model directory fails here, before anything is written
    summaries = {}
    for format in formats:
        for kind, step in KINDS.items():
            report = export_one(model_dir, format, step, verbose)
            path = default_output_path(model_dir, format, "int8", step)
            summary = {"bytes": Path(path).stat().st_size, "argmax_agreement": report.get("agreement"),
                       "passed": report["passed_threshold"],
                       "max_abs_diff": round(float(report["max_abs_diff"]), 6),
                       "latency_us": round(float(report["export_latency_us"]), 1)}
            if not step:
                summary.update(float_accuracy=report.get("keras"), int8_accuracy=report.get("export"),
                               heldout_clips=report.get("samples"))
            else:
                summary["stepped_argmax_agreement"] = report.get("step_argmax_agreement")
            summaries[path.name] = summary
    sizes = {file.name: file.stat().st_size for file in sorted(Path(model_dir).iterdir()) if file.is_file()}
    update_metrics(model_dir, exports=summaries, sizes=sizes)
    return summaries


def export_one(model_dir: str, format: str, step: bool, verbose: bool) -> dict:
    """export_model_dir's report; an agreement below its threshold is recorded (passed_threshold False) so
    the other files are still exported and every figure lands in metrics.json before the command fails."""
    import tempfile

    from export import export_model_dir

    with tempfile.TemporaryDirectory() as folder:
        report_path = Path(folder) / "report.json"
        try:
            report = export_model_dir(model_dir, format=format, quantize="int8", step=step, report=report_path,
                                      verbose=verbose)
            report["passed_threshold"] = True
        except UserError:
            if not report_path.is_file():
                raise
            report = json.loads(report_path.read_text())
            report["passed_threshold"] = False
    return report


def export_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=DEFAULT_OUT, help="model directory to export (files are written into it)")
    parser.add_argument("--format", choices=FORMATS, action="append", help="only this format (repeatable)")
    parser.add_argument("--verbose", action="store_true", help="print each parity table")
    add_json_option(parser)


@app.command("export", help="int8 TFLite and ONNX of the clip model and the step model", arguments=export_arguments)
def export_command(args: argparse.Namespace) -> int:
    if not Path(args.model).is_dir():
        raise UserError(f"{args.model}: no such model directory")
    summaries = export_all(args.model, tuple(args.format or FORMATS), args.verbose)
    for name, summary in summaries.items():
        accuracy = (f", int8 accuracy {summary['int8_accuracy']:.3f} (float {summary['float_accuracy']:.3f})"
                    if "int8_accuracy" in summary else "")
        emit({"file": name, **summary}, args.json,
             f"{name}: {summary['bytes']:,} bytes, argmax agreement {summary['argmax_agreement']:.3f}{accuracy}")
    failed = [name for name, summary in summaries.items() if not summary["passed"]]
    if failed:
        raise UserError(f"{', '.join(failed)}: argmax agreement with Keras below the export threshold "
                        "(files and figures are in the model directory's metrics.json)")
    return 0
