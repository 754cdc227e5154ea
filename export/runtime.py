"""Device runtime for exported models: one file, needing only numpy plus ai_edge_litert (.tflite)
or onnxruntime (.onnx), so it can be copied to a Raspberry Pi next to a model file.

    python runtime.py model_int8.tflite input.npy            # predictions per sample
    python runtime.py step_int8.onnx input.npy --step --json  # streams each sequence frame by frame

It quantizes float inputs to int8/uint8 and dequantizes outputs using the scale and zero point stored
in the model itself, so callers always see float32. Step models (inputs ``state_in_<i>``, outputs
``state_out_<i>``) keep their recurrent state between calls in :class:`StreamingRuntime`.
This file must not import anything from the project: it is deployed on its own.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import sys

import numpy as np

STATE_IN = re.compile(r"state_in_(\d+)")
STATE_OUT = re.compile(r"state_out_(\d+)")
# TFLite tensor names from a Keras signature look like "serving_default_x:0".
TFLITE_NAME_PREFIX = "serving_default_"
TOP_K = 3  # scores printed per prediction in text mode


class RuntimeInputError(Exception):
    """A bad model or input file: printed as one line by main(), exit code 2."""


def _state_index(name: str, pattern: re.Pattern) -> int | None:
    match = pattern.search(name)
    return int(match.group(1)) if match else None


def _ordered(names: list[str], pattern: re.Pattern) -> list[str]:
    """Data tensors first (model order), then state tensors by their number."""
    data = [n for n in names if _state_index(n, pattern) is None]
    states = sorted((n for n in names if _state_index(n, pattern) is not None),
                    key=lambda n: _state_index(n, pattern))
    return data + states


def quantize(x: np.ndarray, scale: float, zero_point: int, dtype: np.dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    q = np.round(np.asarray(x, np.float32) / scale) + zero_point
    return np.clip(q, info.min, info.max).astype(dtype)


def dequantize(q: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    return ((q.astype(np.float32) - zero_point) * scale).astype(np.float32)


class _TFLiteBackend:
    def __init__(self, path: str, num_threads: int):
        from ai_edge_litert.interpreter import Interpreter

        self.interpreter = Interpreter(model_path=path, num_threads=num_threads)
        self.interpreter.allocate_tensors()
        signatures = self.interpreter._get_full_signature_list()
        tensor_names = {}
        if signatures:
            signature = next(iter(signatures.values()))
            for name, index in {**signature["inputs"], **signature["outputs"]}.items():
                tensor_names[index] = name
        self.inputs = self._describe(self.interpreter.get_input_details(), tensor_names)
        self.outputs = self._describe(self.interpreter.get_output_details(), tensor_names)

    @staticmethod
    def _describe(details: list[dict], tensor_names: dict[int, str]) -> dict[str, dict]:
        described = {}
        for detail in details:
            fallback = detail["name"].removeprefix(TFLITE_NAME_PREFIX).split(":")[0]
            name = tensor_names.get(detail["index"], fallback)
            scale, zero_point = detail["quantization"]
            described[name] = {
                "index": detail["index"],
                "shape": tuple(int(d) for d in detail["shape"]),
                "dtype": np.dtype(detail["dtype"]),
                "scale": float(scale),
                "zero_point": int(zero_point),
            }
        return described

    def invoke(self, feeds: dict[str, np.ndarray], output_names: list[str]) -> list[np.ndarray]:
        for name, value in feeds.items():
            self.interpreter.set_tensor(self.inputs[name]["index"], value)
        self.interpreter.invoke()
        return [self.interpreter.get_tensor(self.outputs[n]["index"]) for n in output_names]


ONNX_DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(int8)": np.int8,
               "tensor(uint8)": np.uint8, "tensor(int32)": np.int32, "tensor(int64)": np.int64}


class _OnnxBackend:
    def __init__(self, path: str, num_threads: int):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = num_threads
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self.session = onnxruntime.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.inputs = {i.name: self._describe(i) for i in self.session.get_inputs()}
        self.outputs = {o.name: self._describe(o) for o in self.session.get_outputs()}

    @staticmethod
    def _describe(node) -> dict:
        # Symbolic (dynamic) dimensions become None. ONNX I/O carries no quantization parameters,
        # so scale 0 marks "no (de)quantization"; our int8 ONNX exports keep float32 I/O.
        shape = tuple(d if isinstance(d, int) else None for d in node.shape)
        return {"shape": shape, "dtype": np.dtype(ONNX_DTYPES.get(node.type, np.float32)),
                "scale": 0.0, "zero_point": 0}

    def invoke(self, feeds: dict[str, np.ndarray], output_names: list[str]) -> list[np.ndarray]:
        return self.session.run(output_names, feeds)


METADATA_NAME = "rnn_suite_app"  # the metadata buffer export/tflite.py writes


def read_metadata(path: str) -> dict:
    """The app metadata JSON packed in a .tflite (labels, normalisation, ...); {} if there is none."""
    from ai_edge_litert import schema_py_generated as schema

    with open(path, "rb") as handle:
        data = bytearray(handle.read())
    model = schema.Model.GetRootAs(data, 0)
    for index in range(model.MetadataLength()):
        entry = model.Metadata(index)
        if entry.Name() and entry.Name().decode() == METADATA_NAME:
            return json.loads(model.Buffers(entry.Buffer()).DataAsNumpy().tobytes())
    return {}


class _TFLMBackend:
    """A full-int8 (or int16x8) .tflite run by TensorFlow Lite Micro's Python interpreter (``pip install tflite-micro``).

    TFLite Micro's reference kernels differ from LiteRT's (docs/deploy/microcontroller.md), so the
    export checks parity here too. Tensor names and quantization come from LiteRT's reading of the
    same file; TFLite Micro addresses inputs and outputs by their position in the subgraph.
    """

    def __init__(self, path: str, num_threads: int, arena_size: int | None = None):
        from tflite_micro.python.tflite_micro import runtime as micro

        described = _TFLiteBackend(path, num_threads)
        order = {detail["index"]: position for position, detail in
                 enumerate(described.interpreter.get_input_details())}
        out_order = {detail["index"]: position for position, detail in
                     enumerate(described.interpreter.get_output_details())}
        self.inputs = {name: {**spec, "position": order[spec["index"]]} for name, spec in described.inputs.items()}
        self.outputs = {name: {**spec, "position": out_order[spec["index"]]}
                        for name, spec in described.outputs.items()}
        with open(path, "rb") as handle:
            self.interpreter = micro.Interpreter.from_bytes(handle.read(), arena_size=arena_size)

    def invoke(self, feeds: dict[str, np.ndarray], output_names: list[str]) -> list[np.ndarray]:
        for name, value in feeds.items():
            self.interpreter.set_input(value, self.inputs[name]["position"])
        self.interpreter.invoke()
        return [np.array(self.interpreter.get_output(self.outputs[n]["position"])) for n in output_names]


BACKENDS = {".tflite": _TFLiteBackend, ".onnx": _OnnxBackend}
# Runtimes by name besides the one the file suffix picks ("auto").
NAMED_BACKENDS = {"litert": _TFLiteBackend, "onnxruntime": _OnnxBackend, "tflm": _TFLMBackend}


def _load_backend(path: str, num_threads: int, backend: str = "auto", **options):
    if not os.path.isfile(path):
        raise RuntimeInputError(f"{path}: no such model file")
    extension = os.path.splitext(path)[1].lower()
    if extension not in BACKENDS:
        raise RuntimeInputError(f"{path}: unknown model type (expected .tflite or .onnx)")
    if backend != "auto" and backend not in NAMED_BACKENDS:
        raise RuntimeInputError(f"backend {backend!r}: expected auto or one of {', '.join(NAMED_BACKENDS)}")
    try:
        if backend != "auto":
            return NAMED_BACKENDS[backend](path, num_threads, **options)
        return BACKENDS[extension](path, num_threads)
    except ImportError as error:
        raise RuntimeInputError(f"{path}: runtime for {extension} is not installed ({error})") from None
    except Exception as error:  # any loader failure means the file is not a usable model
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise RuntimeInputError(f"{path}: not a valid {extension} model ({first_line[:200]})") from None


class Runtime:
    """Runs a .tflite or .onnx model with float32 inputs and outputs.

    ``input_names`` is the positional order of ``run``: data inputs in the model's order, then
    ``state_in_<i>`` by number. TFLite does not keep the Keras input order, so models with several
    data inputs should be called by name with :meth:`run_named`.
    """

    def __init__(self, path: str, num_threads: int = 1, backend: str = "auto", **options):
        self.path = path
        self.backend = _load_backend(path, num_threads, backend, **options)
        self.input_names = _ordered(list(self.backend.inputs), STATE_IN)
        self.output_names = _ordered(list(self.backend.outputs), STATE_OUT)
        self.input_shapes = [self.backend.inputs[n]["shape"] for n in self.input_names]
        self.output_shapes = [self.backend.outputs[n]["shape"] for n in self.output_names]

    @property
    def is_int8_io(self) -> bool:
        return any(self.backend.inputs[n]["dtype"] in (np.int8, np.uint8) for n in self.input_names)

    def run(self, *inputs: np.ndarray) -> list[np.ndarray]:
        if len(inputs) != len(self.input_names):
            raise RuntimeInputError(
                f"{self.path}: expected {len(self.input_names)} inputs {self.input_names}, got {len(inputs)}")
        return self.run_named(dict(zip(self.input_names, inputs)))

    def run_named(self, feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        """Run on a batch; a model with a fixed batch of 1 is run sample by sample."""
        arrays = {name: self._fit_rank(name, np.asarray(feeds[name])) for name in self.input_names}
        batch = next(iter(arrays.values())).shape[0]
        fixed_batch = self.input_shapes[0][0] if self.input_shapes[0] else None
        if fixed_batch is None or fixed_batch == batch:
            return self._run_once(arrays)
        if fixed_batch != 1:
            raise RuntimeInputError(f"{self.path}: model needs batch {fixed_batch}, got {batch}")
        per_sample = [self._run_once({n: a[i:i + 1] for n, a in arrays.items()}) for i in range(batch)]
        return [np.concatenate(parts, axis=0) for parts in zip(*per_sample)]

    def _fit_rank(self, name: str, array: np.ndarray) -> np.ndarray:
        shape = self.backend.inputs[name]["shape"]
        if array.ndim == len(shape) - 1:  # a single sample without its batch axis
            array = array[None]
        if array.ndim != len(shape) or any(
                want is not None and want > 0 and got != want for want, got in zip(shape[1:], array.shape[1:])):
            raise RuntimeInputError(
                f"{self.path}: input '{name}' needs shape {shape}, got {tuple(array.shape)}")
        return array

    def _run_once(self, arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
        feeds = {}
        for name, array in arrays.items():
            spec = self.backend.inputs[name]
            if spec["dtype"] in (np.int8, np.uint8) and spec["scale"] > 0:
                feeds[name] = quantize(array, spec["scale"], spec["zero_point"], spec["dtype"])
            else:
                feeds[name] = array.astype(spec["dtype"])
        raw = self.backend.invoke(feeds, self.output_names)
        results = []
        for name, value in zip(self.output_names, raw):
            spec = self.backend.outputs[name]
            if spec["dtype"] in (np.int8, np.uint8) and spec["scale"] > 0:
                results.append(dequantize(value, spec["scale"], spec["zero_point"]))
            else:
                results.append(np.asarray(value, np.float32))
        return results


class StreamingRuntime(Runtime):
    """A step model: inputs ``[x, state_in_0, ...]``, outputs ``[y, state_out_0, ...]``.

    The state is held here (as float32) between :meth:`step` calls; :meth:`reset` zeroes it.
    """

    def __init__(self, path: str, num_threads: int = 1, backend: str = "auto", **options):
        super().__init__(path, num_threads, backend, **options)
        self.state_names = [n for n in self.input_names if _state_index(n, STATE_IN) is not None]
        self.data_names = [n for n in self.input_names if n not in self.state_names]
        state_out = {_state_index(n, STATE_OUT): n for n in self.output_names}
        missing = [n for n in self.state_names if _state_index(n, STATE_IN) not in state_out]
        if not self.state_names or missing or len(self.data_names) != 1:
            raise RuntimeInputError(
                f"{path}: not a step model (needs one data input plus state_in_<i> inputs "
                f"matching state_out_<i> outputs; has inputs {self.input_names})")
        self.state_out_names = [state_out[_state_index(n, STATE_IN)] for n in self.state_names]
        self.prediction_names = [n for n in self.output_names if _state_index(n, STATE_OUT) is None]
        self.states: dict[str, np.ndarray] = {}
        self.reset()

    def reset(self) -> None:
        self.states = {}
        for name in self.state_names:
            shape = tuple(d if d else 1 for d in self.backend.inputs[name]["shape"])
            self.states[name] = np.zeros(shape, np.float32)

    def step(self, x: np.ndarray) -> np.ndarray:
        """Feed one frame (with or without batch/time axes); returns the model output for it."""
        data_shape = tuple(d if d else 1 for d in self.backend.inputs[self.data_names[0]]["shape"])
        x = np.asarray(x, np.float32)
        if x.size != int(np.prod(data_shape)):
            raise RuntimeInputError(f"{self.path}: a frame needs shape {data_shape}, got {x.shape}")
        outputs = self.run_named({self.data_names[0]: x.reshape(data_shape), **self.states})
        by_name = dict(zip(self.output_names, outputs))
        for state_in, state_out in zip(self.state_names, self.state_out_names):
            self.states[state_in] = by_name[state_out]
        return by_name[self.prediction_names[0]]

    def run_sequence(self, sequence: np.ndarray) -> np.ndarray:
        """Reset, then step through ``sequence`` (time, ...); returns the outputs stacked over time."""
        self.reset()
        return np.stack([self.step(frame)[0] for frame in sequence])


def _load_inputs(path: str) -> np.ndarray | dict[str, np.ndarray]:
    if not os.path.isfile(path):
        raise RuntimeInputError(f"{path}: no such input file")
    try:
        loaded = np.load(path, allow_pickle=False)
    except Exception as error:
        raise RuntimeInputError(f"{path}: not a .npy/.npz array file ({type(error).__name__})") from None
    if isinstance(loaded, np.ndarray):
        return loaded.astype(np.float32)
    return {key: loaded[key].astype(np.float32) for key in loaded.files}


def _predictions(scores: np.ndarray) -> list[dict]:
    """One record per sample: argmax and scores of the last axis (the last time step if sequential)."""
    records = []
    for index, sample in enumerate(np.asarray(scores, np.float32)):
        last = sample.reshape(-1, sample.shape[-1])[-1] if sample.ndim else sample.reshape(1)
        records.append({"index": index, "argmax": int(np.argmax(last)),
                        "scores": [round(float(v), 6) for v in last]})
    return records


def _predict(model_path: str, inputs, step: bool, num_threads: int) -> list[dict]:
    if step:
        runtime = StreamingRuntime(model_path, num_threads)
        if not isinstance(inputs, np.ndarray):
            raise RuntimeInputError(f"{model_path}: --step takes one .npy array of shape (N, T, ...)")
        frame_rank = len(runtime.input_shapes[0]) - 2  # minus batch and the single time step
        sequences = inputs[None] if inputs.ndim == frame_rank + 1 else inputs
        return _predictions(np.stack([runtime.run_sequence(seq)[-1] for seq in sequences]))
    runtime = Runtime(model_path, num_threads)
    if isinstance(inputs, np.ndarray):
        if len(runtime.input_names) != 1:
            raise RuntimeInputError(f"{model_path}: model has inputs {runtime.input_names}; pass an .npz "
                                    f"with arrays of those names (or input_0, input_1, ...)")
        return _predictions(runtime.run(inputs)[0])
    feeds = {}
    for position, name in enumerate(runtime.input_names):
        key = name if name in inputs else f"input_{position}"
        if key not in inputs:
            raise RuntimeInputError(f"input file lacks array '{name}' (or '{key}')")
        feeds[name] = inputs[key]
    return _predictions(runtime.run_named(feeds)[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run an exported .tflite/.onnx model and print predictions.")
    parser.add_argument("model", help="model file (.tflite or .onnx)")
    parser.add_argument("inputs", help=".npy array (N, ...) or one sample without the batch axis; .npz for "
                                       "several inputs")
    parser.add_argument("--step", action="store_true", help="stream each sequence through a step model")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--threads", type=int, default=1, help="CPU threads (default 1)")
    args = parser.parse_args(argv)
    try:
        inputs = _load_inputs(args.inputs)
        records = _predict(args.model, inputs, args.step, args.threads)
    except RuntimeInputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"model": args.model, "predictions": records}))
        return 0
    for record in records:
        top = np.argsort(record["scores"])[::-1][:TOP_K]
        shown = "  ".join(f"{int(i)}:{record['scores'][int(i)]:.4f}" for i in top)
        print(f"sample {record['index']}: class {record['argmax']}  (top scores {shown})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
