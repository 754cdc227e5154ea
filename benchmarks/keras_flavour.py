"""Measure what each Keras flavour gives the export pipeline (the basis of docs/decisions.md).

For the probe model (49 steps x 40 features -> GRU/LSTM(64) -> Dense(12)) built once with Keras 3
and once with tf_keras (TF_USE_LEGACY_KERAS=1), each in its own process, it reports:
the ONNX ops tf2onnx emits, whether TFLite fuses the LSTM, and whether tfmot can prune the GRU.

    python benchmarks/keras_flavour.py
"""
from __future__ import annotations

import json
import subprocess
import sys

PROBE = r'''
import json, os, sys, tempfile
legacy = sys.argv[1] == "tf_keras"
if legacy:
    os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import tensorflow as tf
keras = __import__("tf_keras") if legacy else __import__("keras")

def probe(layer_class):
    inputs = keras.Input((49, 40), batch_size=1)
    outputs = keras.layers.Dense(12)(layer_class(64)(inputs))
    return keras.Model(inputs, outputs)

result = {"flavour": sys.argv[1], "keras": keras.__version__}
try:
    import tf2onnx
    spec = (tf.TensorSpec((1, 49, 40), tf.float32, name="x"),)
    proto, _ = tf2onnx.convert.from_keras(probe(keras.layers.GRU), input_signature=spec, opset=17)
    result["onnx_ops_gru"] = sorted({n.op_type for n in proto.graph.node})
except Exception as error:
    result["onnx_ops_gru"] = f"failed: {type(error).__name__}"
try:
    converter = tf.lite.TFLiteConverter.from_keras_model(probe(keras.layers.LSTM))
    flat = converter.convert()
    from ai_edge_litert.interpreter import Interpreter
    ops = sorted({d["op_name"] for d in Interpreter(model_content=flat)._get_ops_details()})
    result["tflite_lstm_fused"] = "UNIDIRECTIONAL_SEQUENCE_LSTM" in ops
except Exception as error:
    result["tflite_lstm_fused"] = f"failed: {type(error).__name__}"
try:
    import tensorflow_model_optimization as tfmot
    tfmot.sparsity.keras.prune_low_magnitude(probe(keras.layers.GRU))
    result["tfmot_prune_gru"] = True
except Exception as error:
    result["tfmot_prune_gru"] = f"failed: {type(error).__name__}: {str(error)[:80]}"
print(json.dumps(result))
'''


def main() -> None:
    rows = []
    for flavour in ("keras3", "tf_keras"):
        run = subprocess.run([sys.executable, "-c", PROBE, flavour], capture_output=True, text=True, timeout=600)
        lines = [line for line in run.stdout.splitlines() if line.startswith("{")]
        rows.append(json.loads(lines[-1]) if lines else {"flavour": flavour, "error": run.stderr.strip().splitlines()[-1:]})
    print(f"{'flavour':<10} {'keras':<8} {'ONNX ops for GRU':<48} {'TFLite LSTM fused':<18} tfmot prunes GRU")
    for row in rows:
        ops = row.get("onnx_ops_gru")
        print(f"{row['flavour']:<10} {row.get('keras', '?'):<8} {str(ops):<48} {str(row.get('tflite_lstm_fused')):<18} "
              f"{row.get('tfmot_prune_gru')}")


if __name__ == "__main__":
    main()
