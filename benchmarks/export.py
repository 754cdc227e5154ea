"""Export benchmark: sizes, batch-1 latency and FLOP efficiency of TFLite and ONNX exports.

    python benchmarks/export.py [--saved-models saved_models] [--json results.json] [--skip-saved]

One table per model directory in saved_models/ plus a reference keyword-spotting-sized GRU(64)
(49 steps x 40 features, 12 classes, random weights), written once with tf_keras and once with Keras 3
(exported through the tf_keras rebuild, export/keras3.py), each model in a fresh process. The TFLite int8
row adds TFLite Micro's flash and measured tensor arena (export/tflm.py; needs tflite-micro). All runtimes
use one thread; the exported ones are timed in interleaved rounds of short warm bursts, so their
ratios hold on a loaded machine. The FLOP limit is the time the model's FLOPs take at the one-core
float32 matmul peak measured here with numpy.
"""
from __future__ import annotations

import os

# One core for every runtime and for the numpy peak, set before numpy/TF load their thread pools.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
                  "TF_NUM_INTEROP_THREADS"):
    os.environ.setdefault(_variable, "1")

import argparse  # noqa: E402
import concurrent.futures  # noqa: E402
import json  # noqa: E402
import multiprocessing  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from export.onnx_export import to_onnx  # noqa: E402
from export.report import median_latency_s  # noqa: E402
from export.runtime import Runtime  # noqa: E402
from export.tflite import to_tflite  # noqa: E402
from suite.atomic import write_text  # noqa: E402
from suite.keras import keras, tf  # noqa: E402

REFERENCE_STEPS, REFERENCE_FEATURES, REFERENCE_CLASSES, REFERENCE_UNITS = 49, 40, 12, 64
REFERENCE_ENTRY = "reference"  # stands for the reference GRU(64) among model directories
KERAS3_ENTRY = "reference_keras3"  # the same GRU(64) written with Keras 3, exported through the rebuild
CALIBRATION_SAMPLES = 64
PEAK_MATRIX = 512  # float32 matmul size for the one-core peak (fits cache-friendly BLAS kernels)
PEAK_REPEATS = 20
EXPORTS = [("tflite", "none"), ("tflite", "int8"), ("onnx", "none"), ("onnx", "int8")]
# Exported runtimes are timed in interleaved rounds: at most this many, within this budget per model.
LATENCY_ROUNDS = 100
LATENCY_BUDGET_S = 20.0
BURST_CALLS = 5  # consecutive calls per visit; the first one only re-warms the caches
# Goal ratios printed under each table: (numerator row, denominator row).
RATIOS = {"ONNX int8 / ONNX float": ("ONNX int8", "ONNX float"),
          "TFLite int8 / TFLite float": ("TFLite int8", "TFLite float"),
          "ONNX float / TFLite float": ("ONNX float", "TFLite float"),
          "ONNX int8 / TFLite int8": ("ONNX int8", "TFLite int8")}
ROW_NAMES = {("tflite", "none"): "TFLite float", ("tflite", "int8"): "TFLite int8",
             ("onnx", "none"): "ONNX float", ("onnx", "int8"): "ONNX int8"}


# ---------------------------------------------------------------- FLOPs (multiply-add = 2 FLOPs)

def _resolve(shape, steps: int):
    """A Keras shape (or list of shapes) with an unknown time axis (axis 1) set to ``steps``."""
    if isinstance(shape, list):
        return [_resolve(part, steps) for part in shape]
    return tuple(steps if index == 1 and dim is None else dim for index, dim in enumerate(shape))


def _positions(dims) -> int:
    return int(np.prod([int(d) for d in dims if d is not None] or [1]))


def _time_steps(shape) -> int:
    return int(shape[1]) if len(shape) >= 3 else 1


def _recurrent_flops(layer, gates: int, input_shape, output_shape) -> int:
    units, features = layer.units, int(input_shape[-1])
    return 2 * gates * units * (features + units) * _time_steps(input_shape)


def _dense_flops(layer, input_shape, output_shape) -> int:
    return 2 * int(input_shape[-1]) * layer.units * _positions(input_shape[1:-1])


def _conv_flops(layer, input_shape, output_shape) -> int:
    return 2 * layer.get_weights()[0].size * _positions(output_shape[1:-1])


def _attention_flops(layer, input_shape, output_shape) -> int:
    query, value = input_shape[0], input_shape[1]
    return 2 * 2 * _time_steps(query) * _time_steps(value) * int(query[-1])  # scores, then weighted sum


def _time_distributed_flops(layer, input_shape, output_shape) -> int:
    """The wrapped layer once per time step, on the shapes without the time axis."""
    frame_in, frame_out = input_shape[:1] + input_shape[2:], output_shape[:1] + output_shape[2:]
    return _counted_flops(layer.layer, frame_in, frame_out) * int(input_shape[1])


def _bidirectional_flops(layer, input_shape, output_shape) -> int:
    return (_counted_flops(layer.forward_layer, input_shape, output_shape)
            + _counted_flops(layer.backward_layer, input_shape, output_shape))


FLOP_COUNTERS = {
    keras.layers.GRU: lambda layer, i, o: _recurrent_flops(layer, 3, i, o),
    keras.layers.LSTM: lambda layer, i, o: _recurrent_flops(layer, 4, i, o),
    keras.layers.SimpleRNN: lambda layer, i, o: _recurrent_flops(layer, 1, i, o),
    keras.layers.Dense: _dense_flops,
    keras.layers.Conv1D: _conv_flops,
    keras.layers.Conv2D: _conv_flops,
    keras.layers.Attention: _attention_flops,
    keras.layers.AdditiveAttention: _attention_flops,
    keras.layers.TimeDistributed: _time_distributed_flops,
    keras.layers.Bidirectional: _bidirectional_flops,
}


def _counted_flops(layer, input_shape, output_shape) -> int:
    counter = FLOP_COUNTERS.get(type(layer))
    return int(counter(layer, input_shape, output_shape)) if counter else 0


def layer_flops(layer, steps: int = 1) -> int:
    """Matrix FLOPs of one layer at batch 1, an unknown time axis taken as ``steps`` (elementwise gate
    math is ignored: it is a few percent). Wrapped layers are counted on the wrapper's shapes, since a
    layer inside TimeDistributed or Bidirectional has no shapes of its own."""
    return _counted_flops(layer, _resolve(layer.input_shape, steps), _resolve(layer.output_shape, steps))


def model_flops(model: keras.Model, steps: int = 1) -> int:
    return sum(layer_flops(layer, steps) for layer in model.layers)


def one_core_peak_flops() -> float:
    """Best float32 GFLOP/s of a numpy matmul on one thread, in FLOP/s."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(PEAK_MATRIX, PEAK_MATRIX)).astype(np.float32)
    b = rng.normal(size=(PEAK_MATRIX, PEAK_MATRIX)).astype(np.float32)
    a @ b
    best = min(_timed(lambda: a @ b) for _ in range(PEAK_REPEATS))
    return 2 * PEAK_MATRIX ** 3 / best


def _timed(call) -> float:
    begin = time.perf_counter()
    call()
    return time.perf_counter() - begin


# ---------------------------------------------------------------- models

def reference_model(flavour=None, name: str = "kws_gru64"):
    """The reference GRU(64) in tf_keras, or in another Keras module (``import keras``: Keras 3)."""
    k = flavour or keras
    k.utils.set_random_seed(0)
    inputs = k.Input((REFERENCE_STEPS, REFERENCE_FEATURES), name="x")
    hidden = k.layers.GRU(REFERENCE_UNITS, name="gru")(inputs)
    outputs = k.layers.Dense(REFERENCE_CLASSES, activation="softmax", name="scores")(hidden)
    return k.Model(inputs, outputs, name=name)


def keras3_reference_model() -> keras.Model:
    """The reference GRU(64) written with Keras 3, rebuilt as tf_keras as ``python -m export`` does."""
    import keras as keras3

    from export.loading import from_memory

    return from_memory(reference_model(keras3, name="kws_gru64_keras3")).model


def _random_inputs(model: keras.Model, count: int, steps: int) -> list[np.ndarray]:
    rng = np.random.default_rng(1)
    arrays = []
    for tensor in model.inputs:
        shape = [count] + [steps if d is None else int(d) for d in tensor.shape[1:]]
        if tensor.dtype.is_integer:
            arrays.append(rng.integers(0, 8, size=shape).astype(tensor.dtype.as_numpy_dtype))
        else:
            arrays.append(rng.normal(size=shape).astype(np.float32))
    return arrays


def load_saved(model_dir: Path) -> tuple[str, keras.Model, list[np.ndarray], str]:
    """(name, model, calibration inputs, data source) of one model directory."""
    from export.calibration import get_dataset
    from suite.errors import UserError
    from suite.modeldir import load_model_dir

    model, config = load_model_dir(model_dir)
    try:
        inputs, _ = get_dataset(config, "calibration", CALIBRATION_SAMPLES)
        inputs, source = (list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]), "app data"
    except UserError as error:
        inputs, source = _random_inputs(model, CALIBRATION_SAMPLES, REFERENCE_STEPS), f"random ({error})"
    return model_dir.name, model, inputs, source


def load_entry(entry: str) -> tuple[str, keras.Model, list[np.ndarray], str]:
    """REFERENCE_ENTRY for the reference GRU(64), else a model directory."""
    if entry in (REFERENCE_ENTRY, KERAS3_ENTRY):
        reference = reference_model() if entry == REFERENCE_ENTRY else keras3_reference_model()
        return (reference.name, reference, _random_inputs(reference, CALIBRATION_SAMPLES, REFERENCE_STEPS),
                "random normal, random weights")
    return load_saved(Path(entry))


# ---------------------------------------------------------------- measurement

def _sequence_length(model: keras.Model, inputs: list[np.ndarray]) -> int | None:
    first = model.inputs[0]
    return int(inputs[0].shape[1]) if len(first.shape) >= 2 and first.shape[1] is None else None


def _export(model, inputs, folder: Path, fmt: str, quantize: str) -> dict:
    path = folder / f"{model.name}_{quantize}.{fmt}"
    representative = inputs if len(inputs) > 1 else inputs[0]
    sequence_length = _sequence_length(model, inputs)
    if fmt == "tflite":
        return to_tflite(model, path, quantize, representative=representative, sequence_length=sequence_length)
    return to_onnx(model, path, quantize, representative=representative, sequence_length=sequence_length)


def interleaved_medians(calls: dict[str, Callable[[], object]], rounds: int = LATENCY_ROUNDS) -> dict[str, float]:
    """Median seconds per call of each runtime, timed in rounds that visit every runtime in a shuffled
    order, so that load from other processes on a shared machine hits all of them alike.

    Each visit is a burst of BURST_CALLS calls whose first is not counted: it runs on caches the
    previous runtime filled. A device runs one model over and over, on warm caches.
    """
    rng = np.random.default_rng(0)
    names = list(calls)
    times: dict[str, list[float]] = {name: [] for name in names}
    for name in names:
        calls[name]()  # warm-up
    started = time.perf_counter()
    for _ in range(rounds):
        for index in rng.permutation(len(names)):
            call = calls[names[index]]
            call()
            times[names[index]].extend(_timed(call) for _ in range(BURST_CALLS - 1))
        if time.perf_counter() - started > LATENCY_BUDGET_S:
            break
    return {name: float(np.median(values)) for name, values in times.items()}


def benchmark_model(name: str, model: keras.Model, inputs: list[np.ndarray], peak: float, folder: Path) -> dict:
    sample = [array[:1] for array in inputs]
    keras_args = sample if len(sample) > 1 else sample[0]
    keras_s = median_latency_s(lambda: model(keras_args, training=False))
    reference = model.predict(inputs if len(inputs) > 1 else inputs[0], verbose=0)
    names = [t.name.split(":")[0] for t in model.inputs]
    feeds = dict(zip(names, sample))
    flops = model_flops(model, _sequence_length(model, inputs) or 1)
    rows, runtimes = [], {}
    for fmt, quantize in EXPORTS:
        row_name = ROW_NAMES[(fmt, quantize)]
        try:
            info = _export(model, inputs, folder, fmt, quantize)
        except Exception as error:  # one failing export should not hide the other rows
            rows.append({"name": row_name, "error": str(error).splitlines()[0][:120]})
            continue
        runtime = Runtime(info["path"], num_threads=1)
        runtimes[row_name] = runtime
        outputs = runtime.run_named(dict(zip(names, inputs)))[0]
        rows.append({
            "name": row_name, "bytes": info["bytes"], "bytes_per_param": info["bytes_per_param"],
            "max_abs_diff": float(np.abs(outputs - reference).max()),
            "argmax_agreement": float(np.mean(outputs.argmax(-1) == reference.argmax(-1))),
            "ops": info["ops"],
        })
    _add_tflm_footprint(rows, folder / f"{model.name}_int8.tflite")
    seconds = interleaved_medians({row: (lambda r=runtime: r.run_named(feeds)) for row, runtime in runtimes.items()})
    for row in rows:
        if row["name"] in seconds:
            row["latency_us"] = seconds[row["name"]] * 1e6
            row["speedup_vs_keras"] = keras_s / seconds[row["name"]]
    flop_limit_s = flops / peak
    int8 = next((r for r in rows if r["name"] == "TFLite int8" and "latency_us" in r), None)
    return {
        "model": name, "params": int(model.count_params()), "flops": flops, "keras_latency_us": keras_s * 1e6,
        "flop_limit_us": flop_limit_s * 1e6,
        "tflite_int8_over_flop_limit": (int8["latency_us"] / 1e6 / flop_limit_s) if int8 and flops else None,
        "ratios": latency_ratios(seconds),
        "rows": rows,
    }


def _add_tflm_footprint(rows: list[dict], int8_file: Path) -> None:
    """TFLite Micro flash and arena of the full-int8 TFLite row (skipped without tflite-micro)."""
    row = next((r for r in rows if r["name"] == "TFLite int8" and "error" not in r), None)
    if row is None:
        return
    try:
        from export.tflm import footprint

        measured = footprint(int8_file)
    except ImportError:
        return
    except Exception as error:  # a model TFLite Micro cannot run: say so in the table
        row["tflm_error"] = str(error).splitlines()[0][:120]
        return
    row["tflm_flash_bytes"], row["tflm_arena_bytes"] = measured["flash_bytes"], measured["arena_bytes"]


def latency_ratios(seconds: dict[str, float]) -> dict[str, float]:
    """The issue's performance goals as time ratios (int8 / float <= 1, ONNX / TFLite <= 1.2)."""
    return {label: seconds[numerator] / seconds[denominator] for label, (numerator, denominator) in RATIOS.items()
            if numerator in seconds and denominator in seconds}


def format_table(result: dict, source: str) -> str:
    lines = [f"## {result['model']}  ({result['params']:,} params, {result['flops'] / 1e6:.2f} MFLOP per inference, "
             f"inputs: {source})",
             f"{'runtime':<13} {'bytes':>9} {'B/param':>8} {'latency us':>11} {'vs Keras':>9} "
             f"{'max diff':>9} {'agree':>6} {'TFLM flash':>11} {'TFLM arena':>11}",
             f"{'Keras model(x)':<13} {'':>9} {'':>8} {result['keras_latency_us']:>11.0f} {'1x':>9}"]
    for row in result["rows"]:
        if "error" in row:
            lines.append(f"{row['name']:<13} failed: {row['error']}")
            continue
        lines.append(f"{row['name']:<13} {row['bytes']:>9,} {row['bytes_per_param']:>8.2f} {row['latency_us']:>11.1f} "
                     f"{row['speedup_vs_keras']:>8.0f}x {row['max_abs_diff']:>9.2g} {row['argmax_agreement']:>6.1%}"
                     + (f" {row['tflm_flash_bytes']:>11,} {row['tflm_arena_bytes']:>11,}" if "tflm_arena_bytes" in row
                        else ""))
    if result["tflite_int8_over_flop_limit"] is not None:
        lines.append(f"FLOP limit at the one-core peak: {result['flop_limit_us']:.1f} us; TFLite int8 takes "
                     f"{result['tflite_int8_over_flop_limit']:.1f}x that")
    if result["ratios"]:
        lines.append("time ratios: " + ", ".join(f"{label} {ratio:.2f}" for label, ratio in result["ratios"].items()))
    return "\n".join(lines)


def benchmark_entry(entry: str, peak: float, scratch: str) -> dict:
    tf.config.threading.set_intra_op_parallelism_threads(1)  # Keras runs in this (child) process
    name, model, inputs, source = load_entry(entry)
    result = benchmark_model(name, model, inputs, peak, Path(scratch))
    result["inputs"] = source
    return result


def benchmark_in_fresh_process(entry: str, peak: float, scratch: str) -> dict:
    """One model per process. Timed in the same process after the video model, the small vitals
    GRU's int8 file ran 1.17x its float time instead of 0.79x: what one model's runtimes leave
    behind (memory, delegate state) must not bias the next model's figures."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(benchmark_entry, entry, peak, scratch).result()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saved-models", default="saved_models", help="folder of model directories")
    parser.add_argument("--skip-saved", action="store_true", help="only the reference GRU(64) model")
    parser.add_argument("--json", help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    peak = one_core_peak_flops()
    print(f"one-core float32 peak (numpy {PEAK_MATRIX}x{PEAK_MATRIX} matmul, 1 thread): {peak / 1e9:.1f} GFLOP/s\n")
    entries = [REFERENCE_ENTRY, KERAS3_ENTRY]
    folder = Path(args.saved_models)
    if not args.skip_saved and folder.is_dir():
        entries += [str(path.parent) for path in sorted(folder.glob("*/model.keras"))]
    results = []
    with tempfile.TemporaryDirectory() as scratch:
        for entry in entries:
            result = benchmark_in_fresh_process(entry, peak, scratch)
            results.append(result)
            print(format_table(result, result["inputs"]) + "\n", flush=True)
    if args.json:
        write_text(args.json, json.dumps({"peak_flops": peak, "models": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
