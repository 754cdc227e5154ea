"""``export``: int8 TFLite and ONNX files (sequence model and step model) next to the model.

After the export pipeline's own parity checks (48-hour windows, |dAUROC| <= 0.01), the int8 step
TFLite file is streamed over whole held-out stays hour by hour, as ``monitor`` would run it on a
device, and its AUROC is recorded in metrics.json next to the float model's.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from apps.vitals.cli import app
from apps.vitals.cohorts import HELDOUT_PATIENTS, heldout_cohort
from apps.vitals.features import HourlyFeaturizer
from apps.vitals.model import DEFAULT_MODEL_DIR, VitalsModel
from apps.vitals.simulate import SETTINGS
from apps.vitals.utility import hourly_auroc
from suite.cli import add_json_option, emit
from suite.errors import UserError

FORMATS = ("tflite", "onnx")
STREAMED_STAYS = HELDOUT_PATIENTS   # the held-out stays train scored, per setting, streamed through int8


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model directory (exports are written into it)")
    parser.add_argument("--formats", default=",".join(FORMATS), help="comma-separated: tflite, onnx")
    parser.add_argument("--streamed", type=int, default=STREAMED_STAYS,
                        help="held-out stays per setting streamed through step_int8.tflite for the int8 AUROC (0 skips)")
    add_json_option(parser)


@app.command("export", help="export int8 TFLite and ONNX (sequence and step models) with parity checks",
             arguments=_arguments)
def export_command(args: argparse.Namespace) -> int:
    from export import export_model_dir
    from suite.modeldir import update_metrics

    formats = [name.strip() for name in args.formats.split(",") if name.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise UserError(f"--formats {args.formats!r}: expected a comma-separated subset of {', '.join(FORMATS)}")
    VitalsModel.load(args.model)  # fails early with one line if this is not a vitals model
    exports = {}
    for name in formats:
        for step in (False, True):
            report = export_model_dir(args.model, format=name, quantize="int8", step=step)
            exports[Path(report["path"]).name] = {
                "bytes": report["bytes"], "auroc_keras": round(report["keras"], 4),
                "auroc_int8": round(report["export"], 4), "max_abs_diff": round(report["max_abs_diff"], 5),
                "latency_us": round(report["export_latency_us"], 1), "keras_latency_us": round(report["keras_latency_us"], 1),
            }
    record = {"exports": exports, "keras_bytes": (Path(args.model) / "model.keras").stat().st_size,
              "export_command": f"python -m apps.vitals export --model {args.model}"}
    if "tflite" in formats and args.streamed > 0:
        record["int8_streamed"] = {setting: streamed_auroc(args.model, args.streamed, setting) for setting in SETTINGS}
    update_metrics(args.model, **record)
    emit(record, args.json, format_summary(record))
    return 0


def streamed_auroc(model_dir: str, stays_count: int, setting: str = "hospital_a") -> dict:
    """AUROC of the float Keras model and of step_int8.tflite streamed over whole held-out stays."""
    from export.runtime import StreamingRuntime

    vitals = VitalsModel.load(model_dir)
    stays = heldout_cohort(setting, stays_count)
    runtime = StreamingRuntime(str(Path(model_dir) / "step_int8.tflite"))
    featurizer = HourlyFeaturizer(vitals.stats)
    int8_risks = []
    for stay in stays:
        runtime.reset()
        featurizer.reset()
        int8_risks.append(np.array([float(np.asarray(runtime.step(featurizer.step(row))).reshape(-1)[0])
                                    for row in stay.values]))
    labels = [stay.labels for stay in stays]
    float_auroc = hourly_auroc(labels, vitals.predict(stays))
    int8_auroc = hourly_auroc(labels, int8_risks)
    return {"stays": len(stays), "hours": int(sum(stay.hours for stay in stays)),
            "auroc_float": round(float_auroc, 4), "auroc_int8": round(int8_auroc, 4),
            "auroc_difference": round(int8_auroc - float_auroc, 4)}


def format_summary(record: dict) -> str:
    lines = [f"{name}: {info['bytes']:,} bytes, AUROC keras {info['auroc_keras']:.4f} / int8 {info['auroc_int8']:.4f}"
             for name, info in record["exports"].items()]
    for setting, streamed in record.get("int8_streamed", {}).items():
        lines.append(f"step_int8.tflite streamed over {streamed['stays']} held-out {setting} stays: AUROC float "
                     f"{streamed['auroc_float']:.4f}, int8 {streamed['auroc_int8']:.4f}")
    return "\n".join(lines)
