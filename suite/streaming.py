"""Step models: one timestep plus the recurrent states in, the output plus the new states out.

``step_model(model)`` rebuilds a sequence model's graph layer by layer (by name, never by index)
with a one-step input. Recurrent layers are re-created with ``return_state=True`` around the
*same cell object*, so the step model shares weights with the sequence model; every other layer
is the same layer object called again. Stepping through a sequence and carrying the states equals
running the sequence model (tested per cell). ``state_model(model, steps=k)`` is the same over a
window of ``k`` steps, used by truncated BPTT.
"""
from __future__ import annotations

from typing import Any

from suite.cells import cell_kind_of
from suite.keras import keras, tf

# Layers that combine several time steps: a step model cannot evaluate them one step at a time.
TIME_MIXING_LAYERS = (
    keras.layers.Bidirectional, keras.layers.GlobalAveragePooling1D, keras.layers.GlobalMaxPooling1D,
    keras.layers.Attention, keras.layers.AdditiveAttention, keras.layers.MultiHeadAttention,
    keras.layers.Conv1D, keras.layers.RepeatVector, keras.layers.Reshape, keras.layers.Flatten,
)


def step_model(model: keras.Model) -> keras.Model:
    """A model taking ``[x (batch, 1, ...), state_in_0, ...]`` and returning ``[y, state_out_0, ...]``."""
    return state_model(model, steps=1)


def state_model(model: keras.Model, steps: int | None = 1) -> keras.Model:
    """The sequence model over ``steps`` timesteps with explicit state inputs and outputs."""
    if len(model.inputs) != 1:
        raise ValueError(f"{model.name}: step models need a single sequence input, got {len(model.inputs)} "
                         "(for encoder-decoder models use suite.topologies.encoder_decoder.inference_models)")
    tensors: dict[int, Any] = {}
    state_inputs: list = []
    state_outputs: list = []
    for layer in model.layers:
        node = _own_node(model, layer)
        if isinstance(layer, keras.layers.InputLayer):
            original = node.outputs
            tensors[id(original)] = keras.Input(shape=(steps,) + tuple(original.shape[2:]), dtype=original.dtype,
                                                name=layer.name)
            continue
        args, kwargs = tf.nest.map_structure(lambda t: tensors.get(id(t), t), (node.call_args, node.call_kwargs))
        if cell_kind_of(layer) is not None:
            outputs = call_recurrent(layer, args, kwargs, state_inputs, state_outputs)
        elif isinstance(layer, TIME_MIXING_LAYERS):
            raise ValueError(f"{model.name}: layer {layer.name!r} ({type(layer).__name__}) mixes time steps; "
                             "step models support unidirectional recurrent layers with per-step layers around them")
        else:
            outputs = layer(*args, **kwargs)
        for original, new in zip(tf.nest.flatten(node.outputs), tf.nest.flatten(outputs)):
            tensors[id(original)] = new
    outputs = [tensors[id(t)] for t in model.outputs]
    named_states = [keras.layers.Identity(name=f"state_out_{i}")(s) for i, s in enumerate(state_outputs)]
    inputs = [tensors[id(t)] for t in model.inputs] + state_inputs
    return keras.Model(inputs, outputs + named_states, name=f"{model.name}_step" if steps == 1 else f"{model.name}_window")


def _own_node(model: keras.Model, layer: keras.layers.Layer):
    """The call of ``layer`` inside ``model``'s graph.

    A layer gains a node each time it is called, including by earlier step models built from the
    same model; only the node in this model's graph counts (tf_keras keys them "<name>_ib-<index>").
    """
    nodes = [node for index, node in enumerate(layer.inbound_nodes)
             if f"{layer.name}_ib-{index}" in model._network_nodes]
    if len(nodes) != 1:
        raise ValueError(f"layer {layer.name!r} is called {len(nodes)} times in {model.name!r}; "
                         "step models need each layer called once")
    return nodes[0]


def call_recurrent(layer, args, kwargs, state_inputs: list, state_outputs: list):
    """Call a copy of ``layer`` that shares its cell, feeding and returning the states explicitly."""
    kind = cell_kind_of(layer)
    config = {**layer.get_config(), "return_state": True, "stateful": False}
    stepper = type(layer).from_config(config)
    stepper.cell = layer.cell  # share the weights: same variables, not a copy
    states = [keras.Input(shape=(layer.cell.units,), name=f"state_in_{len(state_inputs) + i}")
              for i in range(len(kind.state_names))]
    state_inputs.extend(states)
    kwargs = {**kwargs, "initial_state": states}
    output, *new_states = stepper(*args, **kwargs)
    state_outputs.extend(new_states)
    return output


def initial_states(step: keras.Model, batch_size: int = 1) -> list:
    """Zero states matching the step model's ``state_in_*`` inputs."""
    import numpy as np

    return [np.zeros((batch_size,) + tuple(t.shape[1:]), dtype="float32") for t in step.inputs[1:]]


def compiled_step(step: keras.Model):
    """A ``tf.function`` over the step model: eager Keras costs ~100x more per call in loops."""

    @tf.function(reduce_retracing=True)
    def run(x, states):
        outputs = step([x, *states], training=False)
        return outputs[0], outputs[1:]

    return run
