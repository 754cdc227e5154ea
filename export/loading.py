"""Find and load the model to export: a project model directory, a bare ``.keras`` or ``.h5`` file.

The Keras flavour is read from the file, never guessed from the environment: a ``.keras`` zip's
``metadata.json`` ``keras_version`` (3.x = Keras 3, 2.x = tf_keras), an ``.h5`` file's
``keras_version`` attribute, with the config's ``keras.src`` module paths as a fallback. Each
flavour loads its own files (tf_keras cannot read Keras 3's and vice versa, docs/export.md);
a Keras 3 model is then rebuilt as tf_keras layers with the same weights (export/keras3.py),
which is what the lowering handles.

Loading is safe by default: the model config is read as JSON and checked before any Keras
loader runs. A Lambda layer (Python code stored in the file) or a class Keras does not know
(a custom object, whose code would be imported or run) is refused with one line naming the
layer, unless ``unsafe=True`` (``--unsafe``).
"""
from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

from suite.errors import UserError

MODEL_SUFFIXES = (".keras", ".h5", ".hdf5")
KERAS3, TF_KERAS = "keras3", "tf_keras"
# Classes a config may name that are not in the public ``layers`` namespace but are plain Keras:
# models, input layers, and tf_keras' wrappers of a named TensorFlow op (no Python from the file).
BUILTIN_CLASSES = {"Functional", "Sequential", "Model", "InputLayer", "TFOpLambda", "SlicingOpLambda"}
# Config keys under which a layer nests other layers (wrappers, models in models).
KERAS_OPS_MODULE = "keras.src.ops"  # Keras 3 op nodes in functional configs
NESTED_LAYER_KEYS = ("layer", "backward_layer", "forward_layer", "layers", "cell", "cells")


@dataclass
class LoadedModel:
    """A tf_keras model ready for the lowering, with where it came from."""

    model: Any
    config: dict
    source: Path  # the model file
    flavour: str  # KERAS3 or TF_KERAS
    model_dir: Path | None = None  # set for project model directories (config.json beside model.keras)
    notes: list[str] = field(default_factory=list)


def find_model_file(path: str | os.PathLike) -> tuple[Path, Path | None]:
    """(model file, project directory or None) for a directory or file argument."""
    path = Path(path)
    if path.is_dir():
        if (path / "config.json").is_file():
            model_file = path / "model.keras"
            if not model_file.is_file():
                raise UserError(f"{path}: has config.json but no model.keras")
            return model_file, path
        candidates = sorted(child for child in path.iterdir() if child.suffix in MODEL_SUFFIXES and child.is_file())
        if len(candidates) != 1:
            found = ", ".join(child.name for child in candidates) or "none"
            raise UserError(f"{path}: not a model directory (no config.json) and not one .keras/.h5 file "
                            f"inside (found: {found})")
        return candidates[0], None
    if not path.exists():
        raise UserError(f"{path}: no such model directory or file")
    if path.suffix not in MODEL_SUFFIXES:
        raise UserError(f"{path}: not a model (expected a model directory, a .keras or an .h5 file)")
    return path, None


def read_model_config(path: Path) -> tuple[dict, str]:
    """(model config as JSON, flavour) read from the file without running any Keras code."""
    if path.suffix == ".keras":
        try:
            with zipfile.ZipFile(path) as archive:
                config = json.loads(archive.read("config.json"))
                names = archive.namelist()
                metadata = json.loads(archive.read("metadata.json")) if "metadata.json" in names else {}
        except (zipfile.BadZipFile, KeyError, OSError, json.JSONDecodeError) as error:
            raise UserError(f"{path}: not a readable .keras archive ({error})") from None
        return config, flavour_of(metadata.get("keras_version"), config)
    try:
        import h5py

        with h5py.File(path, "r") as archive:
            raw = archive.attrs.get("model_config")
            version = archive.attrs.get("keras_version")
    except OSError as error:
        raise UserError(f"{path}: not a readable HDF5 file ({error})") from None
    if raw is None:
        raise UserError(f"{path}: an HDF5 file without a model config (weights only?): save the whole model")
    raw = raw.decode() if isinstance(raw, bytes) else raw
    version = version.decode() if isinstance(version, bytes) else version
    config = json.loads(raw)
    return config, flavour_of(version, config)


def flavour_of(version: Any, config: dict) -> str:
    """KERAS3 or TF_KERAS from the saved keras_version, else from the config's module paths."""
    if isinstance(version, str) and version[:1].isdigit():
        return KERAS3 if int(version.split(".")[0]) >= 3 else TF_KERAS
    return KERAS3 if "keras.src" in json.dumps(config) else TF_KERAS


def layer_configs(config: Any) -> Iterator[dict]:
    """Every layer config (dicts with class_name and config) in a model config, nested ones included."""
    if isinstance(config, dict):
        if "class_name" in config and isinstance(config.get("config"), dict):
            yield config
            inner = config["config"]
            for key in NESTED_LAYER_KEYS:
                if key in inner:
                    yield from layer_configs(inner[key])
        else:
            for value in config.values():
                if isinstance(value, (dict, list)):
                    yield from layer_configs(value)
    elif isinstance(config, list):
        for item in config:
            yield from layer_configs(item)


def check_safe(config: dict, path: Path, flavour: str) -> None:
    """UserError naming the first layer that would run code from the file or an unknown class."""
    known = _known_layer_classes(flavour)
    for layer in layer_configs(config):
        class_name = layer["class_name"]
        name = layer["config"].get("name", "?")
        if class_name == "Lambda":
            raise UserError(f"{path}: layer {name!r} (Lambda) runs Python code stored in the file; "
                            "refused (pass --unsafe if you trust the file)")
        registered = layer.get("registered_name")
        if str(layer.get("module", "")).startswith(KERAS_OPS_MODULE) and registered in (None, class_name):
            continue  # a Keras 3 op node (NotEqual, Any, ...): Keras code, nothing from the file
        custom = registered not in (None, class_name) or class_name not in known
        if custom:
            raise UserError(f"{path}: layer {name!r} ({registered or class_name}) is a custom class, not part of "
                            "Keras: loading it would import or run code; refused (pass --unsafe if you trust "
                            "the file and its code is importable)")


def _known_layer_classes(flavour: str) -> set[str]:
    if flavour == KERAS3:
        import keras as layers_module  # Keras 3 (tf.keras is tf_keras here, see suite/keras.py)
    else:
        from suite.keras import keras as layers_module
    names = {name for name in dir(layers_module.layers) if name[:1].isupper()}
    return names | BUILTIN_CLASSES


def load(path: str | os.PathLike, unsafe: bool = False) -> LoadedModel:
    """Load the model at ``path`` (directory or file) as a tf_keras model, safely unless ``unsafe``."""
    model_file, model_dir = find_model_file(path)
    config, flavour = read_model_config(model_file)
    if not unsafe:
        check_safe(config, model_file, flavour)
    project_config: dict = {}
    if model_dir is not None:
        from suite.modeldir import read_config

        project_config = read_config(model_dir)
    if flavour == KERAS3:
        from export.keras3 import load_keras3

        model, notes = load_keras3(model_file, unsafe)
    else:
        model, notes = _load_tf_keras(model_file, unsafe), []
    return LoadedModel(model, project_config, model_file, flavour, model_dir, notes)


def _load_tf_keras(path: Path, unsafe: bool) -> Any:
    from suite.keras import keras

    try:
        if path.suffix == ".keras":
            return keras.models.load_model(path, compile=False, safe_mode=not unsafe)
        return keras.models.load_model(path, compile=False)
    except (ValueError, TypeError, KeyError, OSError) as error:
        raise UserError(f"{path}: tf_keras cannot load it ({first_line(error)})") from None


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


__all__ = ["LoadedModel", "load", "find_model_file", "read_model_config", "check_safe", "flavour_of",
           "KERAS3", "TF_KERAS"]


def from_memory(model: Any) -> LoadedModel:
    """A LoadedModel for an in-memory Keras 3 or tf_keras model (notebook API)."""
    module = type(model).__module__
    if module.startswith("keras.") or module == "keras":
        from export.keras3 import check_rebuild, rebuild

        rebuilt, dropped = rebuild(model, Path(model.name))
        check_rebuild(model, rebuilt, Path(model.name))
        notes = ["Keras 3 model rebuilt as tf_keras layers with the same weights (outputs checked)"]
        if dropped:
            notes.append("config fields without a tf_keras equivalent, dropped: " + ", ".join(sorted(dropped)))
        return LoadedModel(rebuilt, {}, Path(model.name), KERAS3, None, notes)
    if not module.startswith("tf_keras"):
        raise UserError(f"export_model: {type(model).__name__} is not a Keras model")
    return LoadedModel(model, {}, Path(model.name), TF_KERAS, None, [])
