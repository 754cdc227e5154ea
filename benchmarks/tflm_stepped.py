"""Footprint and stepped agreement of a shipped step model in TFLite Micro (the figures of docs/deploy/microcontroller.md).

Flash and arena by ``export.tflm.footprint``; then the shipped ``step_int8.tflite`` (music:
``step_int16x8.tflite``) is stepped through the app's held-out sequences (``apps/<app>/calibration.py``, the
export gate's 200) with the state carried, in TFLite Micro and in LiteRT, against the Keras sequence model
(``export.report.streaming_check``), and each runtime's time per step is taken over the first sequence
(this host, one thread; TFLite Micro's Python interpreter runs its reference kernels):

    python benchmarks/tflm_stepped.py speech music video [--json]
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("OMP_NUM_THREADS", "1")

ROOT = Path(__file__).resolve().parents[1]
STEP_FILES = ("step_int8.tflite", "step_int16x8.tflite")  # the first one shipped is measured


def measure(app: str) -> dict:
    from export import HELDOUT_COUNT, calibration, loading, resolve_task, tflm
    from export import report as parity
    from export.runtime import StreamingRuntime

    model_dir = ROOT / "saved_models" / app
    path = next(model_dir / name for name in STEP_FILES if (model_dir / name).is_file())
    loaded = loading.load(model_dir)
    task = resolve_task(loaded, None)
    inputs, targets = calibration.get_dataset(loaded.config, "heldout", HELDOUT_COUNT)
    sequences = parity.as_list(inputs)[0]
    result = {"app": app, "file": path.name, **tflm.footprint(path)}
    for backend, options in (("tflm", {"arena_size": result["arena_bytes"]}), ("litert", {})):
        runtime = StreamingRuntime(str(path), backend=backend, **options)
        result[backend] = parity.streaming_check(loaded.model, runtime, sequences, task, targets)
        result[backend]["step_us"] = step_time_us(runtime, sequences[0])
    return result


def step_time_us(runtime, sequence) -> float:
    """Median wall time of one step (microseconds) over ``sequence``, the state carried."""
    import time

    import numpy as np

    runtime.reset()
    times = []
    for frame in sequence:
        start = time.perf_counter()
        runtime.step(frame)
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("apps", nargs="+")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    for app in args.apps:
        result = measure(app)
        if args.json:
            print(json.dumps(result, default=float))
            continue
        micro, lite = result["tflm"], result["litert"]
        interval = micro.get("step_agreement_interval")
        interval = "" if not interval else f"[95% {interval[0]:.3f}, {interval[1]:.3f}]"
        print(f"{app} ({result['file']}): flash {result['flash_bytes']:,} arena {result['arena_bytes']:,} recorded "
              f"{result['arena_recorded_bytes']:,} ops {len(result['ops'])}; TFLM stepped {micro['step_metric']} "
              f"agreement {micro['step_agreement']:.4f} {interval} over {micro['step_sequences']} "
              f"(Keras {micro['step_keras']:.4f}, TFLM {micro['step_export']:.4f}, LiteRT {lite['step_export']:.4f}); "
              f"max abs diff TFLM {micro['step_max_abs_diff']:.4f}, LiteRT {lite['step_max_abs_diff']:.4f}; "
              f"per step TFLM {micro['step_us']:.1f} us, LiteRT {lite['step_us']:.1f} us", flush=True)


if __name__ == "__main__":
    main()
