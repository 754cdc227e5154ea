"""The one import point for TensorFlow and Keras in this project.

We use tf_keras (Keras 2) everywhere, not Keras 3: pruning (tensorflow-model-optimization),
native ONNX GRU/LSTM ops (tf2onnx) and the fused TFLite LSTM all need tf_keras graphs.
See docs/decisions.md for the measurements behind this choice.
"""
import os

# Must be set before TensorFlow is imported anywhere, so tf.keras resolves to tf_keras too.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")



def _import_quietly():
    """Import TensorFlow with C++ start-up chatter (absl, CUDA probing on CPU machines) silenced.

    Those lines go straight to file descriptor 2 and would break the CLI's one-line errors.
    Set RNN_SUITE_TF_LOGS=1 to see them. Python exceptions still surface after the redirect ends.
    """
    if os.environ.get("RNN_SUITE_TF_LOGS") == "1":
        import tensorflow, tf_keras  # noqa: E401

        return tensorflow, tf_keras
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import tensorflow, tf_keras  # noqa: E401

        if not os.environ.get("TF_CONFIG"):
            # probe devices now, while silenced; not for multi-worker runs, whose collective ops must be
            # configured before the context starts (MultiWorkerMirroredStrategy raises otherwise)
            tensorflow.config.list_physical_devices()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
    return tensorflow, tf_keras


tf, keras = _import_quietly()

__all__ = ["tf", "keras"]
