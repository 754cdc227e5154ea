"""Load a Keras 3 model file and rebuild it as tf_keras layers with the same weights.

In this project ``tf.keras`` is tf_keras (suite/keras.py), and the lowering, the pruning and
tf2onnx's native GRU/LSTM ops all work on tf_keras graphs. Keras 3 stays importable as
``import keras``; it loads its own file, then every layer is re-created from its config in
tf_keras and called along the same graph, and the weights are copied layer by layer. The
rebuilt model is checked against the Keras 3 one on inputs drawn from the input spec, so a
config field that means something else in tf_keras (e.g. ``hard_sigmoid``, docs/export.md)
is an error, not a silent change.
"""
from __future__ import annotations

import inspect
from pathlib import Path
from typing import Any

import numpy as np

from suite.errors import UserError

# Largest |Keras 3 - tf_keras| output difference accepted for the rebuilt model, relative to the
# output scale: both run the same float32 maths in TensorFlow, so this only absorbs op ordering.
MAX_REBUILD_DIFF = 1e-4
REBUILD_CHECK_SAMPLES = 8
# Keys no tf_keras layer takes that Keras 3 may write (weights are copied, so initializers,
# regularizers and constraints are irrelevant at inference and are dropped too).
_DROPPED_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
# Keyword arguments tf_keras' base Layer accepts besides its named parameters.
_LAYER_KWARGS = {"name", "trainable", "dtype", "dynamic", "input_dim", "input_shape", "batch_input_shape",
                 "batch_size", "weights", "activity_regularizer", "autocast", "implementation"}
_NESTED = ("layer", "backward_layer", "cell")
# Module of Keras 3's op nodes in a functional config (keras.src.ops.numpy.NotEqual, ...).
KERAS_OPS_MODULE = "keras.src.ops"


def load_keras3(path: Path, unsafe: bool) -> tuple[Any, list[str]]:
    """(tf_keras model, notes) from a Keras 3 ``.keras``/``.h5`` file."""
    import keras  # Keras 3

    try:
        original = keras.saving.load_model(path, compile=False, safe_mode=not unsafe)
    except Exception as error:  # Keras raises ValueError, TypeError, ... for files it cannot read
        from export.loading import first_line

        raise UserError(f"{path}: Keras 3 cannot load it ({first_line(error)})") from None
    rebuilt, dropped = rebuild(original, path)
    check_rebuild(original, rebuilt, path)
    notes = ["Keras 3 model rebuilt as tf_keras layers with the same weights (outputs checked)"]
    if dropped:
        notes.append("config fields without a tf_keras equivalent, dropped: " + ", ".join(sorted(dropped)))
    return rebuilt, notes


def rebuild(original: Any, path: Path) -> tuple[Any, set[str]]:
    """The tf_keras twin of a Keras 3 Functional or Sequential model, weights copied."""
    from suite.keras import keras as tf_keras

    class_name = type(original).__name__
    if class_name not in ("Functional", "Sequential"):
        raise UserError(f"{path}: a subclassed Keras 3 model ({class_name}) has no layer graph to export; "
                        "rebuild it with the functional API")
    config = original.get_config()
    dropped: set[str] = set()
    tensors: dict[tuple[str, int, int], Any] = {}
    layers: dict[str, Any] = {}
    entries = config["layers"]
    if class_name == "Sequential":
        entries = _sequential_as_functional(original, entries)
    for entry in entries:
        _call_entry(entry, tensors, layers, dropped, path)
    inputs = [tensors[tuple(item)] for item in _history_list(config.get("input_layers"), entries, first=True)]
    outputs = [tensors[tuple(item)] for item in _history_list(config.get("output_layers"), entries, first=False)]
    model = tf_keras.Model(inputs, outputs if len(outputs) > 1 else outputs[0], name=original.name)
    for layer in original.layers:
        if layer.name in layers and layer.weights:
            try:
                layers[layer.name].set_weights(layer.get_weights())
            except ValueError as error:
                raise UserError(f"{path}: layer {layer.name!r} ({type(layer).__name__}): weights do not fit the "
                                f"tf_keras layer ({str(error).splitlines()[0][:200]})") from None
    return model, dropped


def _sequential_as_functional(original: Any, entries: list[dict]) -> list[dict]:
    """Sequential layer configs as a chain of functional entries (an InputLayer first)."""
    chained: list[dict] = []
    previous = None
    for entry in entries:
        name = entry["config"]["name"]
        if entry["class_name"] == "InputLayer":
            chained.append({**entry, "name": name, "inbound_nodes": []})
        else:
            if previous is None:  # no InputLayer in the config: take the built input shape
                shape = [None, *original.inputs[0].shape[1:]]
                chained.append({"class_name": "InputLayer", "name": "input",
                                "config": {"name": "input", "batch_shape": shape, "dtype": "float32"},
                                "inbound_nodes": []})
                previous = "input"
            arg = {"class_name": "__keras_tensor__", "config": {"keras_history": [previous, 0, 0]}}
            chained.append({**entry, "name": name, "inbound_nodes": [{"args": [arg], "kwargs": {}}]})
        previous = name
    return chained


def _history_list(value: Any, entries: list[dict], first: bool) -> list[list]:
    if not value:  # Sequential: the first InputLayer in, the last layer out
        entry = entries[0] if first else entries[-1]
        return [[entry["name"], 0, 0]]
    return [value] if isinstance(value[0], str) else list(value)


def _call_entry(entry: dict, tensors: dict, layers: dict, dropped: set[str], path: Path) -> None:
    from suite.keras import keras as tf_keras

    name = entry.get("name") or entry["config"]["name"]
    if str(entry.get("module", "")).startswith(KERAS_OPS_MODULE):
        # A Keras 3 op node (e.g. NotEqual/Any computing a Masking layer's mask): tf_keras carries masks
        # implicitly, so a mask argument fed by such nodes is dropped; data fed by one is an error below.
        for node_index, _ in enumerate(entry.get("inbound_nodes", [])):
            tensors[(name, node_index, 0)] = OpNode(name, entry["class_name"])
        return
    if entry["class_name"] == "InputLayer":
        config = entry["config"]
        shape = config.get("batch_shape") or config.get("batch_input_shape")
        dtype = _dtype_name(config.get("dtype", "float32"))
        tensors[(name, 0, 0)] = tf_keras.Input(batch_shape=shape, dtype=dtype, name=name)
        return
    layer = make_layer(entry, dropped, path)
    layers[name] = layer
    for node_index, node in enumerate(entry.get("inbound_nodes", [])):
        args = _resolve(node.get("args", []), tensors)
        kwargs = {key: value for key, value in _resolve(node.get("kwargs", {}), tensors).items()
                  if value is not None and key != "training" and not (key == "mask" and _has_op_node(value))}
        op_node = _first_op_node([args, kwargs])
        if op_node is not None:
            raise UserError(f"{path}: layer {name!r} ({entry['class_name']}) is fed by the Keras 3 op "
                            f"{op_node.name!r} ({op_node.class_name}): ops outside layers are not supported "
                            "by the export; use a layer")
        try:
            outputs = layer(*args, **kwargs)
        except (TypeError, ValueError) as error:
            raise UserError(f"{path}: layer {name!r} ({entry['class_name']}): tf_keras cannot rebuild it "
                            f"({str(error).splitlines()[0][:200]})") from None
        for index, tensor in enumerate(outputs if isinstance(outputs, (list, tuple)) else [outputs]):
            tensors[(name, node_index, index)] = tensor


class OpNode:
    """Stands for the output of a Keras 3 op node (not rebuilt)."""

    def __init__(self, name: str, class_name: str) -> None:
        self.name, self.class_name = name, class_name


def _first_op_node(value: Any) -> OpNode | None:
    if isinstance(value, OpNode):
        return value
    items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else []
    for item in items:
        found = _first_op_node(item)
        if found is not None:
            return found
    return None


def _has_op_node(value: Any) -> bool:
    return _first_op_node(value) is not None


def _resolve(value: Any, tensors: dict) -> Any:
    """Replace Keras 3 ``__keras_tensor__`` references with the rebuilt tf_keras tensors."""
    if isinstance(value, dict):
        if value.get("class_name") == "__keras_tensor__":
            history = value["config"]["keras_history"]
            return tensors[(history[0], int(history[1]), int(history[2]))]
        return {key: _resolve(item, tensors) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_resolve(item, tensors) for item in value]
    return value


def make_layer(entry: dict, dropped: set[str], path: Path) -> Any:
    """A tf_keras layer from a Keras 3 layer config (nested wrapped layers converted too)."""
    from suite.keras import keras as tf_keras

    class_name = entry["class_name"]
    cls = getattr(tf_keras.layers, class_name, None)
    name = entry["config"].get("name", "?")
    if class_name == "Lambda":
        raise UserError(f"{path}: layer {name!r} (Lambda): arbitrary Python has no export lowering; "
                        "write it with Keras layers")
    if cls is None:
        raise UserError(f"{path}: layer {name!r} ({class_name}): no tf_keras equivalent, not supported by the export")
    config = clean_config(cls, entry["config"], dropped)
    for key in _NESTED:
        if isinstance(config.get(key), dict) and "class_name" in config[key]:
            inner = config[key]
            inner_cls = getattr(tf_keras.layers, inner["class_name"], None)
            if inner_cls is None:
                raise UserError(f"{path}: layer {name!r} wraps {inner['class_name']}: no tf_keras equivalent")
            config[key] = {"class_name": inner["class_name"], "config": clean_config(inner_cls, inner["config"], dropped)}
    try:
        return cls.from_config(config)
    except (TypeError, ValueError, KeyError) as error:
        raise UserError(f"{path}: layer {name!r} ({class_name}): tf_keras cannot build it from its Keras 3 "
                        f"config ({str(error).splitlines()[0][:200]})") from None


def clean_config(cls: type, config: dict, dropped: set[str]) -> dict:
    """Keep the keys ``cls`` accepts, with DTypePolicy dicts as plain dtype names."""
    accepted = _accepted_keys(cls)
    cleaned = {}
    for key, value in config.items():
        if key.endswith(_DROPPED_SUFFIXES):
            continue
        if key not in accepted and key not in _NESTED:
            if value not in (None, False, 0, "", [], {}):
                dropped.add(f"{cls.__name__}.{key}")
            continue
        cleaned[key] = _dtype_name(value) if key == "dtype" else value
    return cleaned


def _accepted_keys(cls: type) -> set[str]:
    keys = set(_LAYER_KWARGS)
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        keys.update(name for name, parameter in inspect.signature(init).parameters.items()
                    if parameter.kind not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL))
    return keys - {"self"}


def _dtype_name(value: Any) -> Any:
    if isinstance(value, dict):  # Keras 3 DTypePolicy: {"class_name": "DTypePolicy", "config": {"name": ...}}
        return value.get("config", {}).get("name", "float32")
    return value


def check_rebuild(original: Any, rebuilt: Any, path: Path) -> None:
    """UserError if the rebuilt model's outputs differ from the Keras 3 model's on spec-drawn inputs."""
    from export.calibration import spec_inputs

    inputs = spec_inputs(rebuilt, REBUILD_CHECK_SAMPLES, seed=7)
    feed = inputs if len(inputs) > 1 else inputs[0]
    expected = original(feed, training=False)
    actual = rebuilt(feed, training=False)
    expected = expected if isinstance(expected, (list, tuple)) else [expected]
    actual = actual if isinstance(actual, (list, tuple)) else [actual]
    for want, got in zip(expected, actual):
        want, got = np.asarray(want, np.float32), np.asarray(got, np.float32)
        scale = max(1.0, float(np.max(np.abs(want))))
        difference = float(np.max(np.abs(want - got))) if want.size else 0.0
        if want.shape != got.shape or difference > MAX_REBUILD_DIFF * scale:
            raise UserError(f"{path}: the tf_keras rebuild of this Keras 3 model differs from it (max diff "
                            f"{difference:.3g}); a layer option has another meaning in tf_keras")


__all__ = ["load_keras3", "rebuild", "make_layer", "clean_config", "check_rebuild"]
