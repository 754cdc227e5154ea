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
# "int16x8": TFLite only, int16 activations with int8 weights (TFLite's 16x8 mode), for recurrent states that
# need a finer grid than int8's 256 steps (the music LSTM's cell state: docs/apps/music.md).
QUANTIZE_MODES = ("none", "float16", "dynamic", "int8", "int16x8")
# Modes calibrated on representative inputs (static activation ranges).
CALIBRATED_MODES = ("int8", "int16x8")
# Deployment targets besides the file itself: None, or "tflm" (TFLite Micro C sources + gates).
TARGETS = (None, "tflm")
# config.json sections about training or this machine (paths, optimiser), not packed with the model.
NOT_FOR_APPS = ("train", "data", "baseline_model")
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
                     int8_io: bool = False, verbose: bool = True, *, unsafe: bool = False,
                     target: str | None = None, task: str | None = None, per_tensor: bool = False) -> dict:
    """Export a model directory or a bare ``.keras``/``.h5`` file, check parity, return the report dict.

    ``unsafe`` allows Lambda layers and custom objects (code from the file); ``target="tflm"``
    also writes the TFLite Micro C sources and runs the gates in TFLite Micro; ``task`` overrides
    config.json's. Raises UserError (exit 2) on bad input or when the export fails its task gate
    (the report is written first, so the numbers are there to inspect).
    """
    from export.loading import load

    check_options(format, quantize, target, out)
    loaded = load(model_dir, unsafe)
    return export_loaded(loaded, format=format, quantize=quantize, step=step, prune=prune, data=calibration_data,
                         out=out, report=report, int8_io=int8_io, verbose=verbose, target=target, task=task,
                         per_tensor=per_tensor)


def export_model(model_or_path: Any, data: Any = None, format: str = "tflite", quantize: str = "none",
                 step: bool = False, target: str | None = None, task: str | None = None,
                 out: str | os.PathLike | None = None, report: str | os.PathLike | None = None,
                 int8_io: bool = False, unsafe: bool = False, verbose: bool = False, per_tensor: bool = False) -> dict:
    """Notebook API: export an in-memory Keras 3 / tf_keras model or a model path; returns the report.

    ``data``: a calibration .npz path, an ``(inputs, targets)`` tuple, or inputs alone (one array or a
    list per model input); the first half calibrates and the rest is held out. In-memory models need ``out``.
    """
    if isinstance(model_or_path, (str, os.PathLike)):
        return export_model_dir(model_or_path, format=format, quantize=quantize, step=step, calibration_data=data,
                                out=out, report=report, int8_io=int8_io, verbose=verbose, unsafe=unsafe,
                                target=target, task=task, per_tensor=per_tensor)
    from export.loading import from_memory

    check_options(format, quantize, target, out)
    if out is None:
        raise UserError("export_model: an in-memory model needs out=PATH")
    return export_loaded(from_memory(model_or_path), format=format, quantize=quantize, step=step, prune=None,
                         data=data, out=out, report=report, int8_io=int8_io, verbose=verbose, target=target, task=task,
                         per_tensor=per_tensor)


def check_options(format: str, quantize: str, target: str | None, out: str | os.PathLike | None) -> None:
    """Option errors found before anything is loaded or converted."""
    if format not in FORMATS:
        raise UserError(f"--format {format!r}: expected one of {', '.join(FORMATS)}")
    if quantize not in QUANTIZE_MODES:
        raise UserError(f"--quantize {quantize!r}: expected one of {', '.join(QUANTIZE_MODES)}")
    if target not in TARGETS:
        raise UserError(f"--target {target!r}: expected one of {', '.join(t for t in TARGETS if t)}")
    if quantize == "int16x8" and format != "tflite":
        raise UserError(f"--quantize int16x8 is a TFLite mode (int16 activations, int8 weights); not for --format {format}")
    if target == "tflm" and (format != "tflite" or not target_runs(target, quantize)):
        raise UserError("--target tflm: TFLite Micro runs full-int8 or int16x8 TFLite files: use --format tflite "
                        "--quantize int8 (or int16x8)")
    if out is not None and Path(out).is_dir():
        raise UserError(f"--out {out}: is a folder; give the path of the file to write")


def target_runs(target: str | None, quantize: str) -> bool:
    """Whether the deployment target's runtime runs files of this --quantize mode (TFLite Micro: integer ones)."""
    return target is None or quantize in CALIBRATED_MODES


def export_loaded(loaded: Any, format: str, quantize: str, step: bool, prune: float | None, data: Any,
                  out: str | os.PathLike | None, report: str | os.PathLike | None, int8_io: bool, verbose: bool,
                  target: str | None, task: str | None, per_tensor: bool = False) -> dict:
    """The export of a loaded model (export/loading.py): data, conversion, gates, report."""
    from export import calibration, report as parity
    from export.runtime import Runtime, StreamingRuntime

    from export.lowering import check_supported

    model, config = loaded.model, loaded.config
    check_supported(model, loaded.source)
    task_name = resolve_task(loaded, task)
    calibration_inputs, heldout_inputs, heldout_targets, data_note = _data(loaded, data, quantize)
    parity.check_heldout_count(parity.sample_count(heldout_inputs), data_source(loaded, data))

    prune_info = None
    if prune:
        train_inputs, train_targets = _training_data(config, data)
        model, prune_info = prune_model(model, prune, (train_inputs, train_targets))

    sequence_model = model
    sequence_length = _sequence_length(heldout_inputs)
    if step:
        model = steppable(sequence_model, loaded.source)
        calibration_inputs = calibration.step_inputs(model, calibration_inputs)
        parity_inputs, parity_targets = calibration.step_inputs(model, heldout_inputs, seed=1), None
    else:
        parity_inputs, parity_targets = heldout_inputs, heldout_targets

    out_path = Path(out) if out else output_path(loaded, format, quantize, step)
    converter = to_tflite if format == "tflite" else to_onnx
    options = ({"int8_io": int8_io, "per_tensor": per_tensor, "metadata": app_metadata(config, task_name, model, step)}
               if format == "tflite" else {})
    info = converter(model, out_path, quantize=quantize, representative=calibration_inputs,
                     sequence_length=None if step else sequence_length, **options)

    runtime = Runtime(str(out_path))
    result = parity.parity_report(model, info, runtime, parity_inputs, parity_targets, task_name, step_model=step)
    if step:
        result.update(parity.streaming_check(sequence_model, StreamingRuntime(str(out_path)),
                                             parity.as_list(heldout_inputs)[0], task_name, heldout_targets))
    if target == "tflm":
        from export.tflm import micro_report

        result["tflm"] = micro_report(out_path, model, sequence_model, parity_inputs, parity_targets,
                                      heldout_inputs, heldout_targets, task_name, step)
    result.update({"source": str(loaded.source), "flavour": loaded.flavour, "data": data_note,
                   "notes": list(loaded.notes)})
    if prune_info is not None:
        result["prune"] = prune_info
    if verbose:
        print(parity.format_table(result), flush=True)
    if report:
        parity.write_report(result, report)
    parity.check_agreement(result)
    return result


def steppable(model: Any, source: Any) -> Any:
    """The step model of ``model``, or a UserError naming the layer that cannot run one step at a time."""
    from export.lowering import layer_kind
    from suite.streaming import step_model

    for layer in model.layers:
        kind = layer_kind(layer)
        if kind is not None and kind.mixes_time:
            raise UserError(f"{source}: --step: layer {layer.name!r} ({type(layer).__name__}) mixes time steps; "
                            "step models support unidirectional recurrent layers with per-step layers around them")
        if getattr(layer, "go_backwards", False):
            raise UserError(f"{source}: --step: layer {layer.name!r} ({type(layer).__name__}) runs backwards over "
                            "the sequence (go_backwards=True): a stream cannot see the future")
    try:
        return step_model(model)
    except ValueError as error:
        raise UserError(f"{source}: --step: {str(error).splitlines()[0]}") from None


def app_metadata(config: dict, task: str, model: Any, step: bool) -> dict:
    """What an app needs besides the tensors (labels, normalisation, frame/hop, threshold), from config.json."""
    metadata = {key: value for key, value in config.items() if key not in NOT_FOR_APPS}
    metadata.update({"task": task, "step_model": bool(step), "inputs": list(model.input_names),
                     "outputs": list(model.output_names)})
    return metadata


def resolve_task(loaded: Any, task: str | None) -> str:
    """The task from the API/CLI, else config.json, else a softmax output means classification."""
    from export.tasks import get_task

    if task is not None:
        return get_task(task, source="--task").name
    if "task" in loaded.config:
        return get_task(loaded.config["task"], source=f"{loaded.model_dir}/config.json").name
    last = loaded.model.layers[-1]
    if getattr(getattr(last, "activation", None), "__name__", "") == "softmax":
        loaded.notes.append("task: classification (inferred from the softmax output; --task to change)")
        return "classification"
    from export.tasks import TASKS

    raise UserError(f"{loaded.source}: no task known (no config.json, output is not a softmax): pass --task "
                    f"{{{','.join(sorted(TASKS))}}}")


def output_path(loaded: Any, format: str, quantize: str, step: bool) -> Path:
    """Default output: into a project directory as before, else beside the bare model file."""
    if loaded.model_dir is not None:
        return default_output_path(loaded.model_dir, format, quantize, step)
    source = Path(loaded.source)
    return source.with_name(f"{source.stem}{'_step' if step else ''}_{quantize}.{format}")


def data_source(loaded: Any, data: Any) -> str:
    if isinstance(data, (str, os.PathLike)):
        return str(data)
    if data is not None:
        return "data"
    return f"app {loaded.config['app']!r}" if loaded.config.get("app") else str(loaded.source)


def _data(loaded: Any, data: Any, quantize: str) -> tuple[Any, Any, Any, str]:
    """(calibration inputs, held-out inputs, held-out targets or None, how they were obtained)."""
    from export import calibration

    if data is not None:
        if isinstance(data, (str, os.PathLike)):
            inputs, targets = calibration.load_npz(data)
            note = f"{data}: first half calibrates, second half is held out"
        else:
            inputs, targets = data if isinstance(data, tuple) and len(data) == 2 else (data, None)
            note = "data passed in: first half calibrates, second half is held out"
        calibration_part, heldout_part = calibration.split_samples(inputs)
        heldout_targets = None if targets is None else calibration.split_samples(targets)[1]
        return calibration_part, heldout_part, heldout_targets, note
    if loaded.config.get("app"):
        calibration_inputs, _ = calibration.get_dataset(loaded.config, "calibration", CALIBRATION_COUNT)
        heldout_inputs, heldout_targets = calibration.get_dataset(loaded.config, "heldout", HELDOUT_COUNT)
        return calibration_inputs, heldout_inputs, heldout_targets, f"app {loaded.config['app']!r} data pipeline"
    if quantize in CALIBRATED_MODES:
        raise UserError(f"{loaded.source}: --quantize {quantize} needs representative inputs to calibrate: pass "
                        "--calibration-data FILE.npz (arrays 'inputs', optional 'targets')")
    free = calibration.free_time_axes(loaded.model)
    if free:
        raise UserError(f"{loaded.source}: input {free[0]!r} has no fixed sequence length and no data fixes one: "
                        "pass --calibration-data FILE.npz")
    calibration_inputs = calibration.spec_inputs(loaded.model, CALIBRATION_COUNT, seed=0)
    heldout_inputs = calibration.spec_inputs(loaded.model, HELDOUT_COUNT, seed=1)
    single = len(loaded.model.inputs) == 1
    return (calibration_inputs[0] if single else calibration_inputs, heldout_inputs[0] if single else heldout_inputs,
            None, calibration.SPEC_DESCRIPTION)


def _training_data(config: dict, calibration_data: Any) -> tuple[Any, Any]:
    from export import calibration

    if isinstance(calibration_data, tuple):
        return calibration_data
    if calibration_data is not None:
        inputs, targets = calibration.load_npz(calibration_data)
        if targets is None:
            raise UserError(f"{calibration_data}: --prune fine-tunes, so the file needs a 'targets' array")
        return inputs, targets
    return calibration.get_dataset(config, "train", CALIBRATION_COUNT * 5)


def _sequence_length(inputs: Any) -> int | None:
    first = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
    first = np.asarray(first)
    return int(first.shape[1]) if first.ndim >= 2 else None


__all__ = ["to_tflite", "to_onnx", "prune_model", "export_model_dir", "export_model", "default_output_path",
           "target_runs"]
