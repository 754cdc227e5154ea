"""Export tf_keras models to ONNX with native GRU/LSTM/RNN ops, in float32, float16, dynamic and int8.

Design (measurements in ../shared/export-facts.md):
- tf2onnx turns tf_keras GRU and LSTM (also Bidirectional, and step models called with
  ``initial_state``) into native ONNX ``GRU``/``LSTM`` ops. It turns SimpleRNN into a ``Loop``; so each
  SimpleRNN is converted as a stand-in GRU of the same shape and the resulting GRU node is rewritten
  into a native ONNX ``RNN`` node (same inputs and outputs: X, W, R, B, sequence_lens, initial_h).
- ONNX Runtime has no quantized GRU/LSTM kernel. "int8" therefore stores every weight (recurrent W/R
  with one scale per gate row, MatMul per output column, Conv per output channel, embeddings per row)
  as int8 behind ``Cast`` and ``Mul`` by its scale. ONNX Runtime constant-folds those at session load,
  so the file is int8-small and the kernels run on constant float32 weights at float speed. Measured
  (one core, medians): DequantizeLinear instead made the GRU 1.2-1.6x slower than float (ONNX Runtime
  does not fold it), and calibrated QDQ MatMul/Conv (integer kernels) were 1.1-1.4x slower than float,
  also on a 5-conv video CNN, with worse agreement. So "int8" needs no calibration data.
- "dynamic" is the same, but MatMul becomes MatMulInteger with run-time activation quantization.
- "float16" stores the weights as float16 behind a Cast (half the size, float32 arithmetic).
"""
from __future__ import annotations

import collections
import os
import tempfile
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

from suite.atomic import write_bytes
from suite.errors import UserError
from suite.keras import keras, tf

from export import QUANTIZE_MODES  # one list for the CLI and both converters
from export.lowering import layer_kind, recurrent_onnx_ops

# The native ops the registered recurrent layers become (export/lowering.py declares each layer's).
RECURRENT_OPS = recurrent_onnx_ops()
# Control flow means the recurrence was not recognised: slow and never what we want on a device.
FORBIDDEN_OPS = {"Loop", "Scan", "If"}
# Initializers smaller than this (biases, shape constants) stay float32: int8 would save little.
MIN_QUANTIZED_ELEMENTS = 256
# Known weights (recurrent W/R, MatMul, Conv, embedding tables) are int8 from this size on.
MIN_WEIGHT_ELEMENTS = 16
INT8_MAX = 127.0
# Keras SimpleRNN activation -> ONNX RNN activation name.
ONNX_RNN_ACTIVATIONS = {"tanh": "Tanh", "relu": "Relu", "sigmoid": "Sigmoid"}
# Stand-in GRU kernels are filled with STAND_IN_MARKER + n (exact in float32) to find them after conversion.
STAND_IN_MARKER = 4096.0


# ---------------------------------------------------------------- float conversion

def _gru_stand_in(rnn: keras.layers.SimpleRNN) -> keras.layers.GRU:
    config = rnn.get_config()
    return keras.layers.GRU(
        config["units"], return_sequences=config["return_sequences"], return_state=config["return_state"],
        go_backwards=config["go_backwards"], reset_after=True, name=config["name"])


def _simple_rnn_weights(rnn: keras.layers.SimpleRNN) -> tuple:
    """(kernel, recurrent_kernel, bias, ONNX activation) of one SimpleRNN direction."""
    activation = rnn.get_config()["activation"]
    if activation not in ONNX_RNN_ACTIVATIONS:
        raise UserError(f"layer {rnn.name}: SimpleRNN activation '{activation}' has no ONNX RNN equivalent")
    kernel, recurrent, *bias = rnn.get_weights()
    bias = bias[0] if bias else np.zeros(kernel.shape[1], np.float32)
    return kernel, recurrent, bias, ONNX_RNN_ACTIVATIONS[activation]


def _stand_in_directions(layer) -> list | None:
    """The stand-in directions of ``layer`` (plain or a wrapper of them), or None for any other layer.

    The registry says which layers tf2onnx would turn into a Loop (``onnx_stand_in``: SimpleRNN,
    GRU(reset_after=False), a Bidirectional of them); a wrapper's directions are its wrapped layers.
    """
    kind = layer_kind(layer)
    if kind is None or kind.onnx_stand_in is None or not kind.onnx_stand_in(layer):
        return None
    return kind.wrapped(layer) if kind.wrapped else [layer]


def _stand_in_weights(rnn) -> tuple:
    """(kernel, recurrent_kernel, bias, ONNX activation or None) for the native op ``rnn`` becomes."""
    op = layer_kind(rnn).onnx_op
    if op not in STAND_IN_WEIGHTS:
        raise UserError(f"layer {rnn.name}: no ONNX stand-in rewrite into {op}")
    return STAND_IN_WEIGHTS[op](rnn)


def _reset_before_gru_weights(gru) -> tuple:
    """(kernel, recurrent_kernel, bias, None) of a GRU(reset_after=False): ONNX GRU linear_before_reset=0."""
    config = gru.get_config()
    if (config["activation"], config["recurrent_activation"]) != ("tanh", "sigmoid"):
        raise UserError(f"layer {gru.name}: GRU(reset_after=False) with activations {config['activation']}/"
                        f"{config['recurrent_activation']} has no ONNX GRU equivalent here (tanh/sigmoid only)")
    kernel, recurrent, *bias = gru.get_weights()
    bias = bias[0] if bias else np.zeros(kernel.shape[1], np.float32)
    return kernel, recurrent, bias, None


# Native ONNX op of a stand-in layer -> its weights in that op's form (RNN: with the activation; GRU:
# None, the node stays a GRU with linear_before_reset=0). Keyed by ONNX op, not by Keras class.
STAND_IN_WEIGHTS = {"RNN": _simple_rnn_weights, "GRU": _reset_before_gru_weights}


def _replace_simple_rnns(model: keras.Model) -> tuple[keras.Model, dict[float, tuple]]:
    """Clone ``model`` with every SimpleRNN (also inside Bidirectional) replaced by a GRU stand-in.

    Each stand-in direction gets a kernel filled with one marker value, which survives tf2onnx's
    transposes and gate reordering, so its ONNX GRU node can be found by value rather than by name.
    Returns the clone and {marker: SimpleRNN weights of that direction}.
    """
    if not any(_stand_in_directions(layer) for layer in model.layers):
        return model, {}

    def clone_layer(layer):
        directions = _stand_in_directions(layer)
        if directions is None:
            return layer.__class__.from_config(layer.get_config())
        stand_in = _gru_stand_in(directions[0])
        if len(directions) == 2:
            return keras.layers.Bidirectional(stand_in, merge_mode=layer.merge_mode, name=layer.name)
        return stand_in

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    markers: dict[float, tuple] = {}
    for layer in model.layers:
        directions = _stand_in_directions(layer)
        if directions is None:
            if layer.weights:
                clone.get_layer(layer.name).set_weights(layer.get_weights())
            continue
        stand_in = clone.get_layer(layer.name)
        stand_ins = [stand_in.forward_layer, stand_in.backward_layer] if len(directions) == 2 else [stand_in]
        for rnn, gru in zip(directions, stand_ins):
            marker = float(STAND_IN_MARKER + len(markers))
            markers[marker] = _stand_in_weights(rnn)
            gru.set_weights([np.full_like(w, marker if i == 0 else 0.0) for i, w in enumerate(gru.get_weights())])
    return clone, markers


def _rewrite_gru_as_rnn(proto: onnx.ModelProto, markers: dict[float, tuple]) -> None:
    """Turn the stand-in GRU nodes (found by their marker weights) into ONNX RNN nodes."""
    initializers = {init.name: init for init in proto.graph.initializer}
    found = set()
    for node in proto.graph.node:
        if node.op_type != "GRU":
            continue
        weights = numpy_helper.to_array(initializers[node.input[1]])
        first_values = [float(direction.flat[0]) for direction in weights]
        if not all(value in markers and np.all(direction == value)
                   for value, direction in zip(first_values, weights)):
            continue  # a real GRU layer
        directions = [markers[value] for value in first_values]
        if directions[0][3] is None:  # a GRU(reset_after=False): stays a GRU, new weights
            _gru_node_reset_before(node, directions, proto.graph)
        else:
            _gru_node_to_rnn(node, directions, proto.graph)
        found.update(first_values)
    if found != set(markers):
        raise RuntimeError(f"ONNX graph: found {len(found)} of {len(markers)} SimpleRNN directions")
    used = {name for node in proto.graph.node for name in node.input}
    kept = [init for init in proto.graph.initializer if init.name in used]  # the stand-ins' own weights
    del proto.graph.initializer[:]
    proto.graph.initializer.extend(kept)


def _gru_node_reset_before(node: onnx.NodeProto, directions: list, graph: onnx.GraphProto) -> None:
    """Keras GRU(reset_after=False) as ONNX GRU with linear_before_reset=0 (both order gates z, r, h)."""
    _set_recurrent_weights(node, directions, graph, "gru")
    kept = [a for a in node.attribute if a.name in ("direction", "hidden_size")]
    del node.attribute[:]
    node.attribute.extend(kept)
    node.attribute.append(helper.make_attribute("linear_before_reset", 0))


def _set_recurrent_weights(node: onnx.NodeProto, directions: list, graph: onnx.GraphProto, tag: str) -> None:
    # Keras: x K + b + h U (gates in columns); ONNX: X W^T + H R^T + Wb + Rb (gates in rows).
    arrays = {
        1: np.stack([kernel.T for kernel, _, _, _ in directions]),
        2: np.stack([recurrent.T for _, recurrent, _, _ in directions]),
        3: np.stack([np.concatenate([bias, np.zeros_like(bias)]) for _, _, bias, _ in directions]),
    }
    for position, array in arrays.items():
        # New initializers: tf2onnx shares identical ones (the stand-ins' zero biases) between nodes.
        name = f"{node.name or node.output[0]}_{tag}_input_{position}"
        graph.initializer.append(numpy_helper.from_array(array.astype(np.float32), name))
        node.input[position] = name


def _gru_node_to_rnn(node: onnx.NodeProto, directions: list, graph: onnx.GraphProto) -> None:
    # Keras: h = act(x K + b + h U); ONNX RNN: h = f(X W^T + H R^T + Wb + Rb).
    _set_recurrent_weights(node, directions, graph, "rnn")
    node.op_type = "RNN"
    node.name = node.name.replace("GRU", "RNN")
    kept = [a for a in node.attribute if a.name in ("direction", "hidden_size")]
    del node.attribute[:]
    node.attribute.extend(kept)
    node.attribute.append(helper.make_attribute("activations", [act for _, _, _, act in directions]))


def _input_signature(model: keras.Model, sequence_length: int | None) -> list[tf.TensorSpec]:
    signature = []
    for tensor in model.inputs:
        shape = [None] + list(tensor.shape[1:])
        if sequence_length is not None and len(shape) >= 3 and shape[1] is None:
            shape[1] = sequence_length
        signature.append(tf.TensorSpec(shape, tensor.dtype, name=tensor.name.split(":")[0]))
    return signature


def _convert_float(model: keras.Model, sequence_length: int | None, opset: int) -> onnx.ModelProto:
    import tf2onnx  # imported late: it is slow to import and only export needs it

    from export.onnx_layout import fold_layout
    from export.onnx_masking import add_sequence_lengths, unmasked_clone

    unmasked, masks = unmasked_clone(model)
    convertible, markers = _replace_simple_rnns(unmasked)
    proto, _ = tf2onnx.convert.from_keras(
        convertible, input_signature=_input_signature(model, sequence_length), opset=opset)
    _rewrite_gru_as_rnn(proto, markers)
    add_sequence_lengths(proto, masks)
    return fold_layout(proto)


# ---------------------------------------------------------------- weight transforms

def _consumers(graph: onnx.GraphProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    consumers = collections.defaultdict(list)
    for node in graph.node:
        for position, name in enumerate(node.input):
            consumers[name].append((node, position))
    return consumers


def _rename_input(consumers: list[tuple[onnx.NodeProto, int]], new_name: str) -> None:
    for node, position in consumers:
        node.input[position] = new_name


def _scale_axes(consumers: list[tuple[onnx.NodeProto, int]], shape: tuple) -> tuple[int, ...]:
    """Axes that get their own scale (empty: one scale for the whole tensor).

    Recurrent W/R are [directions, gates*hidden, in]: one scale per gate row of each direction.
    MatMul weights [in, out] get one scale per output column, Conv [out, in, kh, kw] per output
    channel, embedding tables [vocab, dim] per token row.
    """
    node, position = consumers[0]
    if node.op_type in RECURRENT_OPS and position in (1, 2) and len(shape) == 3:
        return (0, 1)
    if node.op_type == "MatMul" and position == 1 and len(shape) == 2:
        return (1,)
    if (node.op_type == "Conv" and position == 1) or (node.op_type == "Gather" and position == 0):
        return (0,)
    return ()


def _quantize_symmetric(array: np.ndarray, scale_axes: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    """int8 values and float32 scales; the scales keep the array's rank so that they broadcast."""
    reduce_axes = tuple(a for a in range(array.ndim) if a not in scale_axes)
    peak = np.max(np.abs(array), axis=reduce_axes, keepdims=True)
    scale = np.where(peak > 0, peak / INT8_MAX, 1.0).astype(np.float32)
    quantized = np.clip(np.round(array / scale), -INT8_MAX, INT8_MAX).astype(np.int8)
    return quantized, scale


def weight_only_int8(proto: onnx.ModelProto, min_elements: int = MIN_QUANTIZED_ELEMENTS) -> int:
    """Store every remaining weight (and any other large float32 initializer) as int8 behind Cast and Mul.

    Why Cast(int8 -> float) * scale and not DequantizeLinear: both compute the same thing, but ONNX
    Runtime's constant folding skips DequantizeLinear (it keeps QDQ groups for its quantized kernels),
    so the GRU/LSTM would get a non-constant weight and re-prepare it on every call (1.3-1.6x slower
    than float). Cast and Mul of constants are folded when the session loads: the file stays int8,
    the kernels see constant float32 weights (memory after load is float32, as for a float model).
    Returns the number of initializers converted.
    """
    graph = proto.graph
    consumers = _consumers(graph)
    converted = 0
    for init, array in _consumed_float_initializers(graph, consumers):
        scale_axes = _scale_axes(consumers[init.name], array.shape)
        if array.size < (MIN_WEIGHT_ELEMENTS if scale_axes else min_elements):
            continue
        quantized, scale = _quantize_symmetric(array, scale_axes)
        base = init.name.replace(":", "_").replace("/", "_")
        stored = numpy_helper.from_array(quantized, f"{base}_int8")
        scales = numpy_helper.from_array(scale if scale_axes else scale.reshape(()), f"{base}_scale")
        cast = helper.make_node("Cast", [stored.name], [f"{base}_int8_as_float"], name=f"{base}_Cast",
                                to=onnx.TensorProto.FLOAT)
        multiply = helper.make_node("Mul", [cast.output[0], scales.name], [f"{base}_dequantized"],
                                    name=f"{base}_Dequantize")
        _rename_input(consumers[init.name], multiply.output[0])
        graph.initializer.remove(init)
        graph.initializer.extend([stored, scales])
        graph.node.insert(0, multiply)
        graph.node.insert(0, cast)
        converted += 1
    return converted


def _consumed_float_initializers(graph: onnx.GraphProto, consumers: dict) -> list[tuple]:
    """(initializer, its array) for every float32 initializer some node reads; a snapshot, so callers may edit."""
    return [(init, numpy_helper.to_array(init)) for init in list(graph.initializer)
            if init.data_type == onnx.TensorProto.FLOAT and consumers.get(init.name)]


def float16_weights(proto: onnx.ModelProto, min_elements: int = MIN_QUANTIZED_ELEMENTS) -> int:
    """Store large float32 initializers as float16 behind a Cast back to float32."""
    graph = proto.graph
    consumers = _consumers(graph)
    converted = 0
    for init, array in _consumed_float_initializers(graph, consumers):
        if array.size < min_elements:
            continue
        base = init.name.replace(":", "_").replace("/", "_")
        half = numpy_helper.from_array(array.astype(np.float16), f"{base}_fp16")
        cast = helper.make_node("Cast", [half.name], [f"{base}_fp32"], name=f"{base}_Cast",
                                to=onnx.TensorProto.FLOAT)
        _rename_input(consumers[init.name], cast.output[0])
        graph.initializer.remove(init)
        graph.initializer.append(half)
        graph.node.insert(0, cast)
        converted += 1
    return converted


# ---------------------------------------------------------------- ONNX Runtime dynamic quantization of MatMul

def _quantize_matmuls_dynamic(proto: onnx.ModelProto) -> onnx.ModelProto:
    """MatMul -> MatMulInteger with int8 weights and activations quantized at run time."""
    from onnxruntime import quantization

    if not any(n.op_type == "MatMul" for n in proto.graph.node):
        return proto
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "float.onnx", Path(folder) / "quantized.onnx"
        onnx.save(proto, source)
        quantization.quantize_dynamic(source, target, op_types_to_quantize=["MatMul"], per_channel=True,
                                      weight_type=quantization.QuantType.QInt8)
        return onnx.load(target)


# ---------------------------------------------------------------- public API

def check_graph(proto: onnx.ModelProto) -> None:
    """Raise if the ONNX graph is invalid or fell back to control flow for a recurrence."""
    onnx.checker.check_model(proto)
    loops = sorted({n.op_type for n in proto.graph.node} & FORBIDDEN_OPS)
    if loops:
        raise UserError(f"ONNX graph contains {loops}: a recurrent layer was not converted to a native op")


def op_counts(proto: onnx.ModelProto) -> dict[str, int]:
    return dict(sorted(collections.Counter(n.op_type for n in proto.graph.node).items()))


def to_onnx(model: keras.Model, out_path: str | os.PathLike, quantize: str = "none", representative=None,
            sequence_length: int | None = None, opset: int = 17) -> dict:
    """Convert ``model`` to ONNX at ``out_path`` (written atomically) and describe the result.

    ``representative`` is accepted for API symmetry with ``to_tflite`` and not needed: int8 here is
    weight-only (see the module docstring). Returns {"path", "bytes", "ops", "op_counts", "quantize", "opset", "params",
    "bytes_per_param", "inputs", "outputs"}.
    """
    if quantize not in QUANTIZE_MODES:
        raise UserError(f"--quantize {quantize}: ONNX export supports {', '.join(QUANTIZE_MODES)}")
    if opset < 17:
        raise UserError(f"opset {opset}: ONNX export needs opset 17 or newer")
    proto = _convert_float(model, sequence_length, opset)
    if quantize == "dynamic":
        proto = _quantize_matmuls_dynamic(proto)
    if quantize in ("int8", "dynamic"):
        weight_only_int8(proto)
    elif quantize == "float16":
        float16_weights(proto)
    check_graph(proto)
    data = proto.SerializeToString()
    write_bytes(out_path, data)
    params = int(model.count_params())
    counts = op_counts(proto)
    return {
        "path": str(out_path),
        "format": "onnx",
        "bytes": len(data),
        "ops": sorted(counts),
        "op_counts": counts,
        "quantize": quantize,
        "opset": opset,
        "params": params,
        "bytes_per_param": len(data) / max(params, 1),
        "inputs": [i.name for i in proto.graph.input],
        "outputs": [o.name for o in proto.graph.output],
    }
