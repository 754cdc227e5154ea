"""``python -m export MODEL --format tflite|onnx --quantize none|float16|dynamic|int8|int16x8 [--target tflm] ...``"""
from __future__ import annotations

import sys
from typing import Sequence

from suite.cli import EXIT_USER_ERROR, OneLineParser
from suite.errors import UserError


def parser() -> OneLineParser:
    from export import FORMATS, QUANTIZE_MODES
    from export.tasks import TASKS

    parse = OneLineParser(prog="python -m export",
                          description="Export a Keras 3 or tf_keras model to TFLite or ONNX and check parity with Keras.")
    parse.add_argument("model_dir", metavar="MODEL",
                       help="model directory (model.keras + config.json), a .keras or an .h5 file (Keras 3 or "
                            "tf_keras), or a folder holding one such file")
    parse.add_argument("--format", default="tflite", choices=FORMATS)
    parse.add_argument("--quantize", default="none", choices=QUANTIZE_MODES)
    parse.add_argument("--step", action="store_true", help="export the streaming step model (state in/out)")
    parse.add_argument("--prune", type=float, metavar="SPARSITY", help="prune to this sparsity first (0..1)")
    parse.add_argument("--calibration-data", metavar="FILE.npz",
                       help="calibration/held-out data: arrays 'inputs' (or input_0, ...) and optional 'targets'")
    parse.add_argument("--out", metavar="PATH", help="output file (default MODEL_DIR/<model|step>_<quantize>.<format>)")
    parse.add_argument("--report", metavar="REPORT.json", help="write the parity report as JSON")
    parse.add_argument("--int8-io", action="store_true", help="int8 model inputs/outputs (tflite int8 only)")
    parse.add_argument("--target", choices=["tflm"],
                       help="tflm: also write TFLite Micro C sources and run the parity gates in TFLite Micro")
    parse.add_argument("--per-tensor", action="store_true",
                       help="tflite int8: one weight scale per tensor (smaller TFLite Micro arena and flash)")
    parse.add_argument("--task", choices=sorted(set(TASKS)), help="parity task (default: config.json's task)")
    parse.add_argument("--unsafe", action="store_true",
                       help="allow Lambda layers and custom objects: code from the model file runs")
    return parse


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.prune is not None and not 0.0 < args.prune < 1.0:
        print(f"error: --prune {args.prune}: sparsity must be between 0 and 1", file=sys.stderr)
        return EXIT_USER_ERROR
    from export import export_model_dir

    try:
        export_model_dir(args.model_dir, format=args.format, quantize=args.quantize, step=args.step,
                         prune=args.prune, calibration_data=args.calibration_data, out=args.out,
                         report=args.report, int8_io=args.int8_io, unsafe=args.unsafe, target=args.target,
                         task=args.task, per_tensor=args.per_tensor)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USER_ERROR
    return 0


if __name__ == "__main__":
    sys.exit(main())
