"""Cost of one streaming step per 20 ms frame vs re-scoring a 1 s window, both in the exported TFLite runtime.

    python benchmarks/speech.py [--model saved_models/speech] [--repeats 2000]

Times, in the same run and through the same ``export.runtime`` API a device uses:
- ``step_int8.tflite``: one ``StreamingRuntime.step`` (one frame in, the state carried);
- ``model_int8.tflite``: one ``Runtime.run`` on a (1, 49, 40) window, what a non-streaming detector
  must do every frame to score the newest 1 s;
and prints their ratio (goal <= 1/10), plus the cost per frame of ``stream``'s 4 staggered states.
The numpy front-end costs the same in both designs (one new frame per 20 ms), so it is timed apart.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from apps.speech import frontend  # noqa: E402
from apps.speech.recognize import STREAMS  # noqa: E402
from export.report import median_latency_s  # noqa: E402
from export.runtime import Runtime, StreamingRuntime  # noqa: E402

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "saved_models" / "speech"


def median_seconds(call, repeats: int) -> float:
    """Median wall time of ``call()`` after up to 50 warm-up calls (no time budget)."""
    return median_latency_s(call, repeats, budget_s=math.inf, warmup=min(50, repeats))


def measure(model_dir: Path, repeats: int) -> dict:
    rng = np.random.default_rng(0)
    window_runtime = Runtime(str(model_dir / "model_int8.tflite"))
    step_runtime = StreamingRuntime(str(model_dir / "step_int8.tflite"))
    window_shape = [d or 1 for d in window_runtime.input_shapes[0]]
    window = rng.normal(-3.0, 2.0, size=window_shape).astype(np.float32)  # log-mel-like values
    frame = window.reshape(window_shape[0], window_shape[1], -1)[:, :1]
    audio_frame = rng.normal(0, 0.1, frontend.WINDOW_SAMPLES).astype(np.float32)

    # The Python API (what apps call: feeds by name, state kept between calls) ...
    window_s = median_seconds(lambda: window_runtime.run(window), repeats)
    step_s = median_seconds(lambda: step_runtime.step(frame), repeats)
    # ... and the interpreter alone (set inputs, invoke, read outputs), as a C++ device loop would run.
    window_feeds = {window_runtime.input_names[0]: window}
    step_feeds = {step_runtime.data_names[0]: frame, **step_runtime.states}
    window_invoke_s = median_seconds(
        lambda: window_runtime.backend.invoke(window_feeds, window_runtime.output_names), repeats)
    step_invoke_s = median_seconds(lambda: step_runtime.backend.invoke(step_feeds, step_runtime.output_names), repeats)
    frontend_s = median_seconds(lambda: frontend.frame_features(audio_frame), repeats)
    return {
        "model": str(model_dir),
        "window_us": round(window_s * 1e6, 1),
        "step_us": round(step_s * 1e6, 1),
        "step_over_window": round(step_s / window_s, 4),
        "window_invoke_us": round(window_invoke_s * 1e6, 1),
        "step_invoke_us": round(step_invoke_s * 1e6, 1),
        "step_over_window_invoke": round(step_invoke_s / window_invoke_s, 4),
        "streams": STREAMS,
        "stream_frame_over_window_invoke": round(STREAMS * step_invoke_s / window_invoke_s, 4),
        "frontend_frame_us": round(frontend_s * 1e6, 1),
        "step_bytes": (model_dir / "step_int8.tflite").stat().st_size,
        "window_bytes": (model_dir / "model_int8.tflite").stat().st_size,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="model folder with the int8 exports")
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result = measure(args.model, args.repeats)
    if args.json:
        print(json.dumps(result))
        return 0
    print("                                           runtime API   interpreter invoke")
    print(f"re-score a 1 s window (model_int8.tflite): {result['window_us']:8.1f} us   {result['window_invoke_us']:8.1f} us")
    print(f"one streaming step (step_int8.tflite):     {result['step_us']:8.1f} us   {result['step_invoke_us']:8.1f} us")
    print(f"ratio step / window (goal <= 0.1):         {result['step_over_window']:8.4f}      "
          f"{result['step_over_window_invoke']:8.4f}")
    print(f"stream's {result['streams']} staggered steps / window (invoke): {result['stream_frame_over_window_invoke']:.4f}")
    print(f"numpy front-end per frame (both designs): {result['frontend_frame_us']:8.1f} us")
    print(f"sizes: step {result['step_bytes']:,} bytes, window {result['window_bytes']:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
