"""Per-frame streaming cost against re-scoring the whole clip, for the shipped video model.

A camera feed that wants a label after every frame can either re-run the clip model on the last N
frames (N frames of CNN plus N GRU steps, each frame) or run the step model once (the CNN on the new
frame plus one GRU step, carrying the state). Measured at batch 1 in the exported int8 runtime
(TFLite and ONNX) and in Keras (compiled) for reference:

    python benchmarks/video.py [--model DIR (default: the shipped saved_models/video)] [--repeats 50] [--json]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

WARMUP = 3


def median_seconds(call, repeats: int) -> float:
    from export.report import median_latency_s

    return median_latency_s(call, repeats, budget_s=math.inf, warmup=WARMUP)


def exported_costs(model_dir: Path, clip: np.ndarray, repeats: int) -> list[dict]:
    from export.runtime import Runtime, StreamingRuntime

    rows = []
    for format in ("tflite", "onnx"):
        clip_path, step_path = model_dir / f"model_int8.{format}", model_dir / f"step_int8.{format}"
        if not (clip_path.is_file() and step_path.is_file()):
            print(f"skipping {format}: run `python -m apps.video export` first", file=sys.stderr)
            continue
        whole = Runtime(str(clip_path))
        stepper = StreamingRuntime(str(step_path))
        rows.append({"runtime": f"{format} int8",
                     "clip_us": median_seconds(lambda: whole.run(clip[None]), repeats) * 1e6,
                     "step_us": median_seconds(lambda: stepper.step(clip[0]), repeats) * 1e6})
    return rows


def keras_costs(model_dir: Path, clip: np.ndarray, repeats: int) -> dict:
    from suite.keras import tf
    from suite.modeldir import load_model_dir
    from suite.streaming import compiled_step, initial_states, step_model

    model, _ = load_model_dir(model_dir)
    whole = tf.function(lambda x: model(x, training=False))
    step = step_model(model)
    run = compiled_step(step)
    states = initial_states(step, 1)
    frame = tf.constant(clip[None, :1])
    batch = tf.constant(clip[None])
    return {"runtime": "keras (tf.function)",
            "clip_us": median_seconds(lambda: whole(batch), repeats) * 1e6,
            "step_us": median_seconds(lambda: run(frame, states), repeats) * 1e6}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from apps.video.calibration import rendered_clips
    from suite.app import shipped_model_dir
    from suite.modeldir import read_config

    model_dir = Path(args.model) if args.model else shipped_model_dir("video")
    config = read_config(model_dir)
    clips, _ = rendered_clips(1, 9104, config["num_frames"], config["frame_size"])
    rows = exported_costs(model_dir, clips[0], args.repeats) + [keras_costs(model_dir, clips[0], args.repeats)]
    for row in rows:
        row["ratio"] = row["clip_us"] / row["step_us"]
        row["frames"] = config["num_frames"]
        if args.json:
            print(json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in row.items()}))
        else:
            print(f"{row['runtime']:22s} re-score {row['frames']}-frame clip {row['clip_us']:9.1f} us   "
                  f"one step {row['step_us']:8.1f} us   ratio {row['ratio']:5.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
