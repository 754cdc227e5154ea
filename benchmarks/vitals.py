"""Cost of one ICU hour in ``monitor``/``score``, without TensorFlow, against re-scoring a 48-hour window.

    python benchmarks/vitals.py [--model saved_models/vitals] [--stays 20] [--repeats 2000] [--json]

Times, through the same ``export.runtime`` API a device uses, on simulated held-out stays:
- ``featurizer``: ``HourlyFeaturizer.step`` (last values, masks, hours since; numpy);
- ``news2``: NEWS2 from the last charted vitals;
- ``step_int8.tflite`` / ``step_int8.onnx``: one ``StreamingRuntime.step`` (one hour in, the GRU state carried);
- ``model_int8.tflite``: one ``Runtime.run`` on a (1, 48, 108) window, what a monitor without a step model
  would run every hour to score the newest hour from the last two days;
and the whole hour as ``StayMonitor.update`` runs it (featurizer + step + NEWS2).
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

from apps.vitals.data import heldout_cohort  # noqa: E402
from apps.vitals.features import HourlyFeaturizer, batch_features  # noqa: E402
from apps.vitals.model import ModelSettings, RuntimeStepper, StayMonitor  # noqa: E402
from apps.vitals.news2 import news2_scores  # noqa: E402
from export.report import median_latency_s  # noqa: E402
from export.runtime import Runtime  # noqa: E402
from suite.app import shipped_model_dir  # noqa: E402
from suite.app.models import resolve_model  # noqa: E402
from suite.quiet import native_quiet  # noqa: E402

MICROSECONDS = 1e6
BENCHMARK_SEED = 3003     # stays neither trained, held out, nor calibrated on


def median_us(call, repeats: int) -> float:
    """Median microseconds of ``call()`` after up to 50 warm-up calls (no time budget)."""
    return round(median_latency_s(call, repeats, budget_s=math.inf, warmup=min(50, repeats)) * MICROSECONDS, 1)


def cycling(rows: np.ndarray, step):
    """A call that feeds the next row to ``step`` each time, round and round."""
    position = [0]

    def call():
        step(rows[position[0] % len(rows)])
        position[0] += 1

    return call


def measure(model_dir: Path, stays_count: int, repeats: int) -> dict:
    stays = heldout_cohort("hospital_a", stays_count, seed=BENCHMARK_SEED)
    rows = np.concatenate([stay.values for stay in stays])
    ref = resolve_model("vitals", model_dir, "step_int8")
    settings = ModelSettings.of(ref.config, model_dir)
    featurizer = HourlyFeaturizer(settings.stats)
    features = np.stack([featurizer.step(row) for row in rows])
    result = {"hours": int(len(rows)),
              "featurizer_us": median_us(cycling(rows, featurizer.step), repeats),
              "news2_us": median_us(cycling(rows, lambda row: news2_scores(row[None, :])), repeats)}
    for backend in ("tflite", "onnx"):
        stepper = RuntimeStepper(resolve_model("vitals", model_dir, "step_int8", backend))
        result[f"step_int8.{backend}_us"] = median_us(cycling(features, stepper.step), repeats)
    monitor = StayMonitor(settings, RuntimeStepper(ref), "tflite")
    result["monitor_hour_us"] = median_us(cycling(rows, monitor.update), repeats)
    hours = int(ref.config["sequence_length"])
    window = batch_features([stay for stay in stays if stay.hours >= hours][:1], settings.stats, hours).inputs
    with native_quiet():
        sequence = Runtime(str(model_dir / "model_int8.tflite"))
    result["model_int8.tflite_48h_window_us"] = median_us(lambda: sequence.run(window), repeats)
    result["window_over_step"] = round(result["model_int8.tflite_48h_window_us"] / result["step_int8.tflite_us"], 1)
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=shipped_model_dir("vitals"))
    parser.add_argument("--stays", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    result = measure(args.model, args.stays, args.repeats)
    print(json.dumps(result) if args.json else "\n".join(f"{key}: {value}" for key, value in result.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
