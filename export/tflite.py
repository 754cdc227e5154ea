"""TFLite export: float32, float16, dynamic-range, full-integer int8 and int16x8 (int16 activations,
int8 weights), builtin ops only.

The model is first lowered to explicit ops (export/lowering.py), so the converter never sees a
Keras recurrent layer: full-int8 conversion of those crashes it (docs/export.md).
"""
from __future__ import annotations

import json
import os
from collections import Counter
from typing import Any, Iterator, Sequence

import numpy as np

from export.lowering import lower_model, lstm_cell_state_inputs
from suite.atomic import write_bytes
from suite.errors import UserError
from suite.keras import keras, tf

from export import CALIBRATED_MODES, QUANTIZE_MODES  # one list for the CLI and both converters

# The one signature of every exported .tflite (LiteRT's and Android's default key) and the name of
# the metadata buffer holding the app's JSON (labels, normalisation, ...).
SIGNATURE_KEY = "serving_default"
METADATA_NAME = "rnn_suite_app"
# Representative samples used for int8 calibration by default (``calibration_samples`` changes it). Min/max
# ranges from too few samples can saturate on unseen inputs: the g2p decoder step needed ~29,000 (docs/apps/g2p.md).
MAX_CALIBRATION_SAMPLES = 200
# Full int8 bounds LSTM cell states here: tanh(4) = 0.9993, so the output h barely changes, and the
# state keeps an int8 step of 4/128. On the shipped music LSTM the clip changed float NLL by -0.006%;
# unbounded, the state was calibrated at +-87 and the stepped int8 NLL was 2.8x Keras' (docs/export.md).
LSTM_CELL_CLIP = 4.0


def to_tflite(model: keras.Model, out_path: str | os.PathLike, quantize: str = "none",
              representative: np.ndarray | Sequence[np.ndarray] | None = None, int8_io: bool = False,
              sequence_length: int | None = None, metadata: dict | None = None,
              per_tensor: bool = False, calibration_samples: int = MAX_CALIBRATION_SAMPLES) -> dict[str, Any]:
    """Convert ``model`` to a .tflite file written atomically at ``out_path``.

    Returns {"path", "format", "quantize", "int8_io", "bytes", "ops", "op_counts", "params",
    "bytes_per_param", "steps"}. ``representative`` (required for int8): one array, or one
    array per model input, with the samples along the first axis; the first ``calibration_samples`` of them
    calibrate.
    """
    if quantize not in QUANTIZE_MODES:
        raise UserError(f"--quantize {quantize!r}: expected one of {', '.join(QUANTIZE_MODES)}")
    if quantize in CALIBRATED_MODES and representative is None:
        raise UserError(f"--quantize {quantize} needs calibration data (an app dataset or --calibration-data FILE.npz)")
    if int8_io and quantize == "int16x8":
        raise UserError("--int8-io: an int16x8 file has int16 activations; its I/O stays float")
    with tf.device("/CPU:0"):  # a GPU trace could pick GPU-only kernels; see export-facts
        cell_clip = LSTM_CELL_CLIP if quantize in CALIBRATED_MODES else None
        function = lower_model(model, sequence_length, cell_clip)
        if cell_clip is not None and representative is not None:
            representative = clip_inputs(representative, lstm_cell_state_inputs(model), cell_clip)
        converter = tf.lite.TFLiteConverter.from_concrete_functions([function])
        _configure(converter, quantize, function, representative, int8_io, calibration_samples)
        # One weight scale per tensor instead of per output channel: TFLite Micro then keeps no per-channel
        # multipliers and shifts; speech step model: arena 16,384 -> 10,912 B, flash 59,648 -> 46,344 B.
        converter._experimental_disable_per_channel = bool(per_tensor)
        flatbuffer = converter.convert()
        if quantize in CALIBRATED_MODES and not int8_io:
            flatbuffer = float_output_softmax(flatbuffer)
        if quantize == "int16x8":
            flatbuffer = float_int16_gathers(flatbuffer)
        flatbuffer = name_tensors(flatbuffer, model.output_names)
        flatbuffer = add_signature_and_metadata(flatbuffer, model.output_names, metadata)
    op_counts = operator_counts(flatbuffer)
    foreign = sorted(name for name in op_counts if not name.isupper() or name.startswith("FLEX"))
    if foreign:
        raise UserError(f"{out_path}: conversion produced non-builtin ops {foreign}; they do not run on LiteRT")
    write_bytes(out_path, flatbuffer)
    params = int(model.count_params())
    return {
        "path": str(out_path),
        "format": "tflite",
        "quantize": quantize,
        "int8_io": bool(int8_io and quantize == "int8"),
        "per_tensor": bool(per_tensor),
        "bytes": len(flatbuffer),
        "ops": sorted(op_counts),
        "op_counts": dict(op_counts),
        "params": params,
        "bytes_per_param": len(flatbuffer) / max(params, 1),
        "steps": unrolled_steps(function),
    }


def _configure(converter: Any, quantize: str, function: Any, representative: Any, int8_io: bool,
               calibration_samples: int = MAX_CALIBRATION_SAMPLES) -> None:
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if quantize == "none":
        return
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    if quantize == "float16":
        converter.target_spec.supported_types = [tf.float16]
    elif quantize in CALIBRATED_MODES:
        # int16x8: every activation (and so the LSTM cell state) on a 65,536-step grid instead of 256.
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8 if quantize == "int8" else
                                               tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
        specs = function.structured_input_signature[0]
        converter.representative_dataset = lambda: representative_batches(representative, specs, calibration_samples)
        if int8_io:
            converter.inference_input_type = tf.int8
            converter.inference_output_type = tf.int8


def clip_inputs(representative: Any, indices: Sequence[int], bound: float) -> Any:
    """Calibration data with the given inputs clipped, so their int8 input scale fits the clipped state."""
    if not indices:
        return representative
    arrays = list(representative) if isinstance(representative, (list, tuple)) else [representative]
    return [np.clip(array, -bound, bound) if index in indices else array for index, array in enumerate(arrays)]


def representative_batches(representative: Any, specs: Sequence[tf.TensorSpec],
                           samples: int = MAX_CALIBRATION_SAMPLES) -> Iterator[list[np.ndarray]]:
    """Yield batch-1 input lists for the converter's calibration."""
    arrays = list(representative) if isinstance(representative, (list, tuple)) else [representative]
    if len(arrays) != len(specs):
        raise UserError(f"calibration data has {len(arrays)} arrays, the model has {len(specs)} inputs")
    count = min(len(arrays[0]), samples)
    for index in range(count):
        yield [np.asarray(array[index:index + 1]).astype(spec.dtype.as_numpy_dtype).reshape(spec.shape)
               for array, spec in zip(arrays, specs)]


def float_output_softmax(flatbuffer: bytes) -> bytes:
    """Move a final int8 SOFTMAX behind its output DEQUANTIZE, so it runs on float logits.

    An int8 softmax output has the fixed scale 1/256: every probability under 1/512 becomes 0, and
    a generator's NLL of rare events explodes (+4.5% held-out NLL on the music LSTM from that alone).
    With float outputs the model dequantizes anyway, so dequantizing the logits instead and taking
    the softmax of a few floats keeps every int8 matmul and costs almost nothing.
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    subgraph = model.subgraphs[0]
    codes = [max(code.builtinCode, code.deprecatedBuiltinCode) for code in model.operatorCodes]
    producer = {int(output): index for index, op in enumerate(subgraph.operators) for output in op.outputs}
    consumers = Counter(int(tensor) for op in subgraph.operators for tensor in op.inputs)
    changed = False
    for position, dequantize in enumerate(subgraph.operators):
        if codes[dequantize.opcodeIndex] != schema.BuiltinOperator.DEQUANTIZE:
            continue
        probabilities, output = int(dequantize.inputs[0]), int(dequantize.outputs[0])
        softmax_index = producer.get(probabilities)
        if output not in subgraph.outputs or softmax_index is None or consumers[probabilities] != 1:
            continue
        softmax = subgraph.operators[softmax_index]
        if codes[softmax.opcodeIndex] != schema.BuiltinOperator.SOFTMAX:
            continue
        logits = int(softmax.inputs[0])
        dequantize.inputs, dequantize.outputs = [logits], [probabilities]  # reuse the tensor for float logits
        softmax.inputs, softmax.outputs = [probabilities], [output]
        subgraph.tensors[probabilities].type = schema.TensorType.FLOAT32
        subgraph.tensors[probabilities].quantization = None
        subgraph.operators[softmax_index], subgraph.operators[position] = dequantize, softmax
        changed = True
    if not changed:
        return flatbuffer
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def float_int16_gathers(flatbuffer: bytes) -> bytes:
    """Turn each GATHER from a constant int16 table into a float GATHER followed by a QUANTIZE to int16.

    TFLite Micro's GATHER has no int16 ("Type 'INT16' is not supported by gather", tflite-micro
    0.dev20261023), so an int16x8 embedding lookup does not run there. The table is stored as the
    float values of its int16 grid, and QUANTIZE (same scale and zero point) maps the gathered rows
    back to exactly the int16 values the int16 GATHER returned: LiteRT's outputs are bit-identical,
    for 2 more bytes per table entry (the music step file: 142,032 -> 146,648 bytes).
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    subgraph = model.subgraphs[0]
    codes = [max(code.builtinCode, code.deprecatedBuiltinCode) for code in model.operatorCodes]
    buffer_users = Counter(tensor.buffer for graph in model.subgraphs for tensor in graph.tensors)
    operators = []
    for operator in subgraph.operators:
        operators.append(operator)
        table = subgraph.tensors[operator.inputs[0]]
        data = model.buffers[table.buffer].data if table.buffer else None
        if (codes[operator.opcodeIndex] != schema.BuiltinOperator.GATHER or table.type != schema.TensorType.INT16
                or data is None or len(data) == 0 or buffer_users[table.buffer] != 1 or table.quantization is None):
            continue
        values = _dequantized(np.frombuffer(bytes(data), np.int16).reshape(table.shape), table.quantization)
        table.type, table.quantization = schema.TensorType.FLOAT32, None
        model.buffers[table.buffer].data = np.frombuffer(values.tobytes(), np.uint8)
        quantized = subgraph.tensors[operator.outputs[0]]
        gathered = schema.TensorT()
        gathered.shape, gathered.shapeSignature = list(quantized.shape), quantized.shapeSignature
        gathered.type, gathered.buffer, gathered.name = schema.TensorType.FLOAT32, 0, b"gathered"
        subgraph.tensors.append(gathered)
        quantize = schema.OperatorT()
        quantize.opcodeIndex = _opcode_index(model, codes, schema.BuiltinOperator.QUANTIZE)
        quantize.inputs, quantize.outputs = [len(subgraph.tensors) - 1], [operator.outputs[0]]
        operator.outputs = [len(subgraph.tensors) - 1]
        operators.append(quantize)
    if len(operators) == len(subgraph.operators):
        return flatbuffer
    subgraph.operators = operators
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _dequantized(stored: np.ndarray, quantization: Any) -> np.ndarray:
    """The float32 values a quantized constant stands for, per tensor or per axis."""
    shape = [1] * stored.ndim
    if len(quantization.scale) > 1:
        shape[quantization.quantizedDimension] = -1
    scale = np.asarray(quantization.scale, np.float32).reshape(shape)
    zero_point = np.asarray(quantization.zeroPoint, np.float32).reshape(shape)
    return ((stored.astype(np.float32) - zero_point) * scale).astype(np.float32)


def _opcode_index(model: Any, codes: list[int], builtin: int) -> int:
    """The index of ``builtin`` in the model's operator codes, added if the model has none."""
    from tensorflow.lite.python import schema_py_generated as schema

    if builtin not in codes:
        code = schema.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
        model.operatorCodes.append(code)
        codes.append(builtin)
    return codes.index(builtin)


def name_tensors(flatbuffer: bytes, output_names: Sequence[str]) -> bytes:
    """Name the outputs after the Keras output layers and shorten every intermediate name.

    The converter names each tensor after its fused TF ops ("rnn/strided_slice_17;..."): in an
    unrolled graph that is about 650 bytes per step of int8 GRU, so intermediates get their index.
    Inputs keep their names (the model's input layer names, e.g. ``state_in_0``).
    """
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    subgraph = model.subgraphs[0]
    for index, tensor in enumerate(subgraph.tensors):
        if index not in subgraph.inputs:
            tensor.name = str(index).encode()
    for index, name in zip(subgraph.outputs, output_names):
        subgraph.tensors[index].name = name.encode()
    for signature in model.signatureDefs or []:
        by_tensor = dict(zip(subgraph.outputs, output_names))
        for item in signature.outputs or []:
            item.name = by_tensor.get(item.tensorIndex, item.name)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def add_signature_and_metadata(flatbuffer: bytes, output_names: Sequence[str], metadata: dict | None) -> bytes:
    """One named signature (``serving_default``) over every input and output, and the app metadata.

    Phone runtimes address tensors through the signature (LiteRT's signature runner, Android's
    ``runSignature``): inputs keep the Keras input names (``x``, ``state_in_0``), outputs the Keras
    output names (``state_out_0``). ``metadata`` (labels, normalisation, frame size, threshold, ...)
    is stored as JSON in a model metadata buffer named METADATA_NAME, which any flatbuffer reader
    gets back without TensorFlow (export.runtime.read_metadata).
    """
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    subgraph = model.subgraphs[0]

    def tensor_map(name: str, index: int) -> Any:
        entry = schema.TensorMapT()
        entry.name, entry.tensorIndex = name, int(index)
        return entry

    signature = schema.SignatureDefT()
    signature.signatureKey, signature.subgraphIndex = SIGNATURE_KEY, 0
    signature.inputs = [tensor_map(_clean_name(subgraph.tensors[i].name), i) for i in subgraph.inputs]
    signature.outputs = [tensor_map(name, i) for i, name in zip(subgraph.outputs, output_names)]
    model.signatureDefs = [signature]
    if metadata:
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(json.dumps(metadata, sort_keys=True, default=float).encode(), np.uint8)
        model.buffers.append(buffer)
        entry = schema.MetadataT()
        entry.name, entry.buffer = METADATA_NAME, len(model.buffers) - 1
        model.metadata = [item for item in (model.metadata or []) if item.name != METADATA_NAME.encode()] + [entry]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _clean_name(raw: Any) -> str:
    name = raw.decode() if isinstance(raw, bytes) else str(raw)
    return name.removeprefix("serving_default_").split(":")[0]


def operator_counts(flatbuffer: bytes) -> Counter:
    """Operator name -> number of uses in the main subgraph (custom ops by their custom code)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(flatbuffer))
    names = {value: name for name, value in vars(schema.BuiltinOperator).items() if not name.startswith("_")}
    counts: Counter = Counter()
    for subgraph in model.subgraphs:
        for operator in subgraph.operators:
            code = model.operatorCodes[operator.opcodeIndex]
            builtin = max(code.builtinCode, code.deprecatedBuiltinCode)
            if builtin == schema.BuiltinOperator.CUSTOM:
                counts[(code.customCode or b"custom").decode() if isinstance(code.customCode, bytes)
                       else str(code.customCode)] += 1
            else:
                counts[names.get(builtin, str(builtin))] += 1
    return counts


def unrolled_steps(function: Any) -> int:
    """Time steps the graph is unrolled over: the longest time axis among the inputs (1 for step models)."""
    steps = [int(spec.shape[1]) for spec in function.structured_input_signature[0] if spec.shape.rank >= 3]
    return max(steps, default=1)
