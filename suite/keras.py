"""The one import point for TensorFlow and Keras in this project.

We use tf_keras (Keras 2) everywhere, not Keras 3: pruning (tensorflow-model-optimization),
native ONNX GRU/LSTM ops (tf2onnx) and the fused TFLite LSTM all need tf_keras graphs.
See docs/decisions.md for the measurements behind this choice.
"""
import os

# Must be set before TensorFlow is imported anywhere, so tf.keras resolves to tf_keras too.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
import tf_keras as keras  # noqa: E402

__all__ = ["tf", "keras"]
