"""Masked recurrent models in ONNX: ``sequence_lens`` instead of tf2onnx's ``Loop``.

tf2onnx turns a recurrent layer behind a Keras ``Masking`` layer into a ``Loop``. So the model is
converted with each input ``Masking`` layer replaced by a pass-through, and the graph is rewritten:

- ``sequence_lens`` (batch,) = the number of time steps of that input with any feature different
  from ``mask_value``, fed to every native GRU/LSTM/RNN node;
- where tf2onnx reads the output of a ``return_sequences=False`` layer as the last time step of
  ``Y`` (zero after a sequence's length), it now reads ``Y_h``, the state after the last real step.

This equals Keras masking for trailing padding (each sequence's real steps first, then padding), the
layout of padded batches, for unidirectional and Bidirectional layers: the reverse direction of a
bidirectional node starts at each sequence's own last step, as Keras' backward layer does. Keras also
skips masked steps in the middle of a sequence; ONNX cannot.
Outputs of ``return_sequences=True`` layers at padded steps are zero instead of Keras' repeated last
output (they are padding either way).
"""
from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from export.lowering import layer_kind, recurrent_onnx_ops
from suite.errors import UserError
from suite.keras import keras

RECURRENT_OPS = recurrent_onnx_ops()  # every native op a registered recurrent layer becomes
SEQUENCE_LENS_INPUT = 4  # X, W, R, B, sequence_lens, initial_h, ... for all three ops
FINAL_STATE_OUTPUT = 1  # Y, Y_h(, Y_c)


def unmasked_clone(model: keras.Model) -> tuple[keras.Model, dict[str, float]]:
    """``model`` with every Masking layer replaced by a pass-through, and {input name: mask value}.

    Masking layers are the registered kinds with a ``mask_value`` trait. Only those applied directly
    to a model input are supported: the mask is then a function of that graph input alone.
    """
    masking = [layer for layer in model.layers if _mask_value(layer) is not None]
    if not masking:
        return model, {}
    input_names = {id(tensor): name for tensor, name in zip(model.inputs, model.input_names)}
    masks = {}
    for layer in masking:
        source = layer.input
        if id(source) not in input_names:
            raise UserError(f"layer {layer.name!r}: ONNX export supports Masking only directly on a model input")
        masks[input_names[id(source)]] = _mask_value(layer)

    def clone_layer(layer):
        if _mask_value(layer) is not None:
            return keras.layers.Activation("linear", name=layer.name)
        return layer.__class__.from_config(layer.get_config())

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    return clone, masks


def _mask_value(layer) -> float | None:
    """The value whose steps ``layer`` masks (its registry trait), or None: the layer makes no mask."""
    kind = layer_kind(layer)
    return None if kind is None or kind.mask_value is None else float(kind.mask_value(layer))


def add_sequence_lengths(proto: onnx.ModelProto, masks: dict[str, float]) -> None:
    """Feed ``sequence_lens`` from the masked input to every recurrent node; read Y_h for last steps."""
    if not masks:
        return
    if len(masks) > 1:
        raise UserError(f"ONNX export supports one masked input, got {sorted(masks)}")
    (input_name, mask_value), = masks.items()
    graph = proto.graph
    graph_inputs = [value.name for value in graph.input]
    if input_name not in graph_inputs:
        raise RuntimeError(f"ONNX graph has no input {input_name!r} (inputs: {graph_inputs})")
    lengths = _length_nodes(graph, input_name, mask_value)
    for node in graph.node:
        if node.op_type not in RECURRENT_OPS:
            continue
        while len(node.input) <= SEQUENCE_LENS_INPUT:
            node.input.append("")
        node.input[SEQUENCE_LENS_INPUT] = lengths
        _read_final_state(graph, node)


def _length_nodes(graph: onnx.GraphProto, input_name: str, mask_value: float) -> str:
    """Nodes computing int32 (batch,) lengths: steps with any feature != mask_value (Keras' rule)."""
    prefix = "masking_sequence_lens"
    graph.initializer.append(numpy_helper.from_array(np.array(mask_value, np.float32), f"{prefix}_value"))
    graph.initializer.append(numpy_helper.from_array(np.array([1], np.int64), f"{prefix}_time_axis"))
    nodes = [
        helper.make_node("Equal", [input_name, f"{prefix}_value"], [f"{prefix}_equal"]),
        helper.make_node("Not", [f"{prefix}_equal"], [f"{prefix}_differs"]),
        helper.make_node("Cast", [f"{prefix}_differs"], [f"{prefix}_differs_float"], to=onnx.TensorProto.FLOAT),
        # ReduceMax takes its axes as an attribute up to opset 17 (ReduceSum as an input since 13).
        helper.make_node("ReduceMax", [f"{prefix}_differs_float"], [f"{prefix}_real_step"], axes=[2], keepdims=0),
        helper.make_node("ReduceSum", [f"{prefix}_real_step", f"{prefix}_time_axis"], [f"{prefix}_count"], keepdims=0),
        helper.make_node("Cast", [f"{prefix}_count"], [prefix], to=onnx.TensorProto.INT32),
    ]
    for index, node in enumerate(nodes):
        graph.node.insert(index, node)  # before every consumer: the graph stays topologically sorted
    return prefix


def _read_final_state(graph: onnx.GraphProto, node: onnx.NodeProto) -> None:
    """Route tf2onnx's "last time step of Y" to Y_h, the state after each sequence's last real step.

    Y is (time, directions, batch, hidden). tf2onnx reads one direction of it either with a Squeeze
    (one direction) or with a Slice on the direction axis and a Squeeze (bidirectional), then takes
    the last step with Slice[-1:] on time. The reverse direction of a bidirectional node is read at
    time step 0, where it ends: that read is already right and is left alone.
    """
    if len(node.output) <= FINAL_STATE_OUTPUT or not node.output[FINAL_STATE_OUTPUT]:
        while len(node.output) <= FINAL_STATE_OUTPUT:
            node.output.append("")
        node.output[FINAL_STATE_OUTPUT] = f"{node.name}_final_state"
    final_state = node.output[FINAL_STATE_OUTPUT]
    constants = {init.name: numpy_helper.to_array(init) for init in graph.initializer}
    for direction, per_direction in _direction_views(graph, node.output[0], constants):
        for last_step in _consumers(graph, per_direction, "Slice"):
            if _slice_of(last_step, constants) != ([-1], [0]):
                continue
            replacement = final_state if direction is None else _final_state_of(graph, node, direction)
            for consumer in graph.node:  # (1, batch, hidden) either way
                consumer.input[:] = [replacement if name == last_step.output[0] else name for name in consumer.input]


def _direction_views(graph: onnx.GraphProto, sequence: str, constants: dict) -> list[tuple[int | None, str]]:
    """(direction or None for "the only one", tensor of shape (time, batch, hidden)) read from Y."""
    views = [(None, squeeze.output[0]) for squeeze in _consumers(graph, sequence, "Squeeze")]
    for one_direction in _consumers(graph, sequence, "Slice"):
        starts_axes = _slice_of(one_direction, constants)
        if starts_axes is None or starts_axes[1] != [1]:
            continue
        squeezes = _consumers(graph, one_direction.output[0], "Squeeze")
        views += [(starts_axes[0][0], squeeze.output[0]) for squeeze in squeezes]
    return views


def _slice_of(node: onnx.NodeProto, constants: dict) -> tuple[list[int], list[int]] | None:
    """(starts, axes) of a Slice whose starts and axes are constants, else None."""
    if len(node.input) < 4:
        return None
    starts, axes = (constants.get(name) for name in (node.input[1], node.input[3]))
    if starts is None or axes is None:
        return None
    return [int(v) for v in np.ravel(starts)], [int(v) for v in np.ravel(axes)]


def _final_state_of(graph: onnx.GraphProto, node: onnx.NodeProto, direction: int) -> str:
    """Y_h[direction:direction + 1], (1, batch, hidden), computed right after ``node``."""
    name = f"{node.name}_final_state_{direction}"
    if any(name in other.output for other in graph.node):
        return name
    bounds = {"starts": [direction], "ends": [direction + 1], "axes": [0]}
    for key, value in bounds.items():
        graph.initializer.append(numpy_helper.from_array(np.array(value, np.int64), f"{name}_{key}"))
    inputs = [node.output[FINAL_STATE_OUTPUT]] + [f"{name}_{key}" for key in bounds]
    position = list(graph.node).index(node) + 1
    graph.node.insert(position, helper.make_node("Slice", inputs, [name], name=name))
    return name


def _consumers(graph: onnx.GraphProto, tensor: str, op_type: str) -> list[onnx.NodeProto]:
    return [node for node in graph.node if node.op_type == op_type and tensor in node.input]
