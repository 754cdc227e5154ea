"""Float against full-int8 TFLite, conv block by conv block, for the shipped video frame CNN.

Shows where full int8 loses to float on this CPU: each block (TimeDistributed conv 3x3 + batch norm
+ ReLU + 2x2 max-pool over the 16 frames of a clip) is converted alone, float and int8 (calibrated on
rendered clips' own activations at that block), and timed at batch 1, one thread, in one run.
The block times include the block's own input QUANTIZE and output DEQUANTIZE in int8.

    python benchmarks/conv_int8.py [--model saved_models/video] [--repeats 200] [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

CALIBRATION_CLIPS = 40
WARMUP = 20
BLOCK_LAYERS = ("frame_conv_{}", "frame_norm_{}", "frame_relu_{}", "frame_pool_{}")


def block_model(model, index: int, input_shape: tuple[int, ...]):
    """One conv block of ``model`` (its own layers, so its own weights) as a model of its own."""
    from suite.keras import keras

    inputs = keras.Input(input_shape, name="x")
    outputs = inputs
    for pattern in BLOCK_LAYERS:
        outputs = model.get_layer(pattern.format(index))(outputs)
    return keras.Model(inputs, outputs, name=f"block_{index}")


def block_rows(model_dir: Path, repeats: int) -> list[dict]:
    from apps.video.calibration import video_dataset
    from export.report import median_latency_s
    from export.runtime import Runtime
    from export.tflite import to_tflite
    from suite.modeldir import load_model_dir

    model, config = load_model_dir(model_dir)
    features, _ = video_dataset(config, "calibration", CALIBRATION_CLIPS)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(len(config["model"]["conv_filters"])):
            block = block_model(model, index, features.shape[1:])
            row = {"block": index, "input": list(features.shape[1:])}
            for quantize in ("none", "int8"):
                path = str(Path(folder) / f"block_{index}_{quantize}.tflite")
                to_tflite(block, path, quantize=quantize, representative=features if quantize == "int8" else None)
                runtime, sample = Runtime(path), features[:1]
                row[f"{quantize}_us"] = median_latency_s(lambda: runtime.run(sample), repeats, budget_s=math.inf,
                                                         warmup=WARMUP) * 1e6
            row["int8_over_float"] = row["int8_us"] / row["none_us"]
            rows.append(row)
            features = block.predict(features, verbose=0)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="saved_models/video", help="video model directory")
    parser.add_argument("--repeats", type=int, default=200, help="timed calls per file (median)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per block")
    args = parser.parse_args(argv)
    for row in block_rows(Path(args.model), args.repeats):
        if args.json:
            print(json.dumps(row))
        else:
            print(f"block {row['block']}  input {tuple(row['input'])}  float {row['none_us']:7.0f} us  "
                  f"int8 {row['int8_us']:7.0f} us  int8/float {row['int8_over_float']:.2f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
