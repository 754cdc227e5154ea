"""Export pipeline: full-int8 TFLite and int8 ONNX for recurrent models, with a parity report.

``python -m export MODEL_DIR --format tflite --quantize int8`` or, from Python, ``to_tflite``,
``to_onnx``, ``prune_model`` and ``export_model_dir``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from suite.errors import UserError

FORMATS = ("tflite", "onnx")
# Samples drawn from the app's pipeline for calibration and for the held-out parity check.
CALIBRATION_COUNT = 200
HELDOUT_COUNT = 200


# Converters load lazily: importing ``export`` (e.g. for ``export.runtime`` on a device-like
# path) must not pull in TensorFlow.
def to_tflite(*args: Any, **kwargs: Any) -> dict:
    from export.tflite import to_tflite as convert

    return convert(*args, **kwargs)


def to_onnx(*args: Any, **kwargs: Any) -> dict:
    from export.onnx_export import to_onnx as convert

    return convert(*args, **kwargs)


def prune_model(*args: Any, **kwargs: Any) -> tuple[Any, dict]:
    from export.prune import prune_model as prune

    return prune(*args, **kwargs)


def default_output_path(model_dir: str | os.PathLike, format: str, quantize: str, step: bool) -> Path:
    return Path(model_dir) / f"{'step' if step else 'model'}_{quantize}.{format}"


def export_model_dir(model_dir: str | os.PathLike, format: str = "tflite", quantize: str = "none",
                     step: bool = False, prune: float | None = None, calibration_data: str | None = None,
                     out: str | os.PathLike | None = None, report: str | os.PathLike | None = None,
                     int8_io: bool = False, verbose: bool = True) -> dict:
    """Export a model directory, check parity on held-out data, and return the report dict.

    Raises UserError (exit 2) on bad input or when the export disagrees with Keras beyond the
    task threshold (the report is written first, so the numbers are there to inspect).
    """
    from export import calibration, report as parity
    from export.runtime import Runtime, StreamingRuntime
    from suite.modeldir import load_model_dir

    if format not in FORMATS:
        raise UserError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    model, config = load_model_dir(model_dir)
    task = config.get("task", "classification")
    calibration_inputs, heldout_inputs, heldout_targets = _data(config, calibration_data)

    prune_info = None
    if prune:
        train_inputs, train_targets = _training_data(config, calibration_data)
        model, prune_info = prune_model(model, prune, (train_inputs, train_targets))

    sequence_model = model
    sequence_length = _sequence_length(heldout_inputs)
    if step:
        from suite.streaming import step_model

        model = step_model(sequence_model)
        calibration_inputs = calibration.step_inputs(model, calibration_inputs)
        parity_inputs, parity_targets = calibration.step_inputs(model, heldout_inputs, seed=1), None
    else:
        parity_inputs, parity_targets = heldout_inputs, heldout_targets

    out_path = Path(out) if out else default_output_path(model_dir, format, quantize, step)
    converter = to_tflite if format == "tflite" else to_onnx
    options = {"int8_io": int8_io} if format == "tflite" else {}
    info = converter(model, out_path, quantize=quantize, representative=calibration_inputs,
                     sequence_length=None if step else sequence_length, **options)

    runtime = Runtime(str(out_path))
    result = parity.parity_report(model, info, runtime, parity_inputs, parity_targets, task, step_model=step)
    if step:
        result.update(parity.streaming_check(sequence_model, StreamingRuntime(str(out_path)),
                                             parity.as_list(heldout_inputs)[0], task, heldout_targets))
    if prune_info is not None:
        result["prune"] = prune_info
    if verbose:
        print(parity.format_table(result), flush=True)
    if report:
        parity.write_report(result, report)
    parity.check_agreement(result)
    return result


def _data(config: dict, calibration_data: str | None) -> tuple[Any, Any, Any]:
    """(calibration inputs, held-out inputs, held-out targets or None)."""
    from export import calibration

    if calibration_data:
        inputs, targets = calibration.load_npz(calibration_data)
        calibration_part, heldout_part = calibration.split_samples(inputs)
        heldout_targets = None if targets is None else calibration.split_samples(targets)[1]
        return calibration_part, heldout_part, heldout_targets
    calibration_inputs, _ = calibration.get_dataset(config, "calibration", CALIBRATION_COUNT)
    heldout_inputs, heldout_targets = calibration.get_dataset(config, "heldout", HELDOUT_COUNT)
    return calibration_inputs, heldout_inputs, heldout_targets


def _training_data(config: dict, calibration_data: str | None) -> tuple[Any, Any]:
    from export import calibration

    if calibration_data:
        inputs, targets = calibration.load_npz(calibration_data)
        if targets is None:
            raise UserError(f"{calibration_data}: --prune fine-tunes, so the file needs a 'targets' array")
        return inputs, targets
    return calibration.get_dataset(config, "train", CALIBRATION_COUNT * 5)


def _sequence_length(inputs: Any) -> int | None:
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    first = np.asarray(first)
    return int(first.shape[1]) if first.ndim >= 2 else None


__all__ = ["to_tflite", "to_onnx", "prune_model", "export_model_dir", "default_output_path"]
