"""The cost of one monitor update: one step of the shipped int8 step model per new value, TensorFlow-free.

Streams a bundled series through ``apps.forecast.inference.monitor_stream`` with the exported step model
(TFLite and ONNX, one thread) and reports the median time per value of the whole update (inputs, model
step, quantiles) and of the model step alone, plus the per-value time over the first and second half of the
stream: equal halves show the update does not grow with the history (O(1) per value).

    python benchmarks/forecast.py [--series taylor] [--values 2000] [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

BACKENDS = ("tflite", "onnx")


class TimedStepper:
    """Wraps a step runtime and records how long each model step takes."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self.seconds: list[float] = []

    def reset(self) -> None:
        self.runtime.reset()

    def step(self, frame):
        started = time.perf_counter()
        output = self.runtime.step(frame)
        self.seconds.append(time.perf_counter() - started)
        return output


def measure(model_dir: Path, backend: str, series_name: str, values: int) -> dict:
    from apps.forecast import data
    from apps.forecast.evaluation import scale_for
    from apps.forecast.inference import monitor_stream
    from suite.app.models import resolve_model

    ref = resolve_model("forecast", model_dir, "step_int8", backend)
    series = data.load_bundled(series_name)
    series = data.Series(series.name, series.times[:values], series.values[:values], series.season, series.unit,
                         series.source)
    stepper = TimedStepper(ref.load_streaming_runtime())
    update_seconds, started = [], time.perf_counter()
    for _ in monitor_stream(stepper, series, scale_for(series, ref.config), warmup=1,
                            horizon=int(ref.config["horizon"])):
        now = time.perf_counter()
        update_seconds.append(now - started)
        started = now
    half = len(update_seconds) // 2
    return {"backend": backend, "series": series_name, "values": len(update_seconds),
            "update_us": float(np.median(update_seconds) * 1e6), "step_us": float(np.median(stepper.seconds) * 1e6),
            "first_half_update_us": float(np.median(update_seconds[:half]) * 1e6),
            "second_half_update_us": float(np.median(update_seconds[half:]) * 1e6),
            "file_bytes": ref.path.stat().st_size}


def main(argv: list[str] | None = None) -> int:
    from suite.app import shipped_model_dir

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    parser.add_argument("--series", default="taylor")
    parser.add_argument("--values", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    model_dir = Path(args.model) if args.model else shipped_model_dir("forecast")
    for backend in BACKENDS:
        row = measure(model_dir, backend, args.series, args.values)
        print(json.dumps(row) if args.json else
              f"{backend:<7} {row['values']} values of {row['series']}: {row['update_us']:.0f} us per update "
              f"(model step {row['step_us']:.0f} us); first half {row['first_half_update_us']:.0f} us, "
              f"second half {row['second_half_update_us']:.0f} us; {row['file_bytes']:,} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
