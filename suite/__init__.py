"""Keras builders, training and streaming for the whole recurrent-network family.

    from suite import build_model
    model = build_model("many_to_one", cell="gru", units=64, layers=2, input_shape=(None, 40), output_size=12)

Importing ``suite`` itself is cheap: TensorFlow loads only when a builder is first used, so the
CLI, errors and data tools start fast.
"""
import os
from typing import Any

# Before TensorFlow is imported anywhere, so tf.keras resolves to tf_keras (see suite/keras.py).
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

_LAZY = {
    "build_model": "suite.builders",
    "topology_names": "suite.builders",
    "ModelSpec": "suite.builders",
    "RecurrentSpec": "suite.recurrent",
    "CELLS": "suite.cells",
}
__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'suite' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_LAZY[name]), name)
