"""``export``: the int8 step model as TFLite and ONNX, for generation on a phone or a Raspberry Pi.

The step model takes one event (or one lookback feature vector) and the recurrent state, and returns
P(next event) and the new state (``export.runtime.StreamingRuntime`` keeps the state). The parity
check compares held-out NLL of the export with Keras (``apps/music/calibration.py`` gives the data).
"""
from __future__ import annotations

import argparse
from pathlib import Path

from apps.music.cli import app
from suite.cli import add_json_option, emit
from suite.errors import UserError

FORMATS = ("tflite", "onnx")


def arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=None, metavar="DIR", help="model directory (default: the shipped model)")
    parser.add_argument("--format", choices=[*FORMATS, "both"], default="both", help="which exports (default both)")
    parser.add_argument("--quantize", default="int8", choices=["int8", "dynamic", "float16", "none"],
                        help="quantization (default int8)")
    add_json_option(parser)


@app.command("export", "export the int8 step model (TFLite and ONNX) with a parity check", arguments)
def export_command(args: argparse.Namespace) -> int:
    from apps.music import model as melody_model
    from export import export_model_dir
    from suite.modeldir import read_config, update_metrics

    model_dir = args.model or str(melody_model.SHIPPED_MODEL_DIR)
    config = read_config(model_dir)
    if config.get("music", {}).get("attention"):
        raise UserError(f"{model_dir}: the attention preset is not streamable, so it has no step model to export")
    exports = {}
    for format in (FORMATS if args.format == "both" else (args.format,)):
        report = export_model_dir(model_dir, format=format, quantize=args.quantize, step=True, verbose=not args.json)
        summary = {key: report.get(key) for key in ("path", "bytes", "keras", "export", "agreement", "max_abs_diff",
                                                    "step_max_abs_diff", "step_keras", "step_export", "step_agreement",
                                                    "export_latency_us")}
        summary["path"] = Path(summary["path"]).name  # the model directory may move
        exports[summary["path"]] = summary  # by file: dynamic and int8 TFLite files sit side by side
        emit({"format": format, **summary}, args.json,
             f"{format}: {report['path']} ({report['bytes']:,} bytes), NLL Keras {report['keras']:.4f} "
             f"vs export {report['export']:.4f}")
    update_metrics(model_dir, exports={**read_metrics_exports(model_dir), **exports})
    return 0


def read_metrics_exports(model_dir: str) -> dict:
    from suite.modeldir import read_metrics

    return read_metrics(model_dir).get("exports", {})
