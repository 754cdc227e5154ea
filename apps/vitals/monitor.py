"""``monitor FILE.psv``: stream a stay hour by hour through the step model, printing alerts as they happen.

Each new hour costs O(1): ``HourlyFeaturizer`` updates its last values and hours-since counters,
the step model takes the hour's features and the GRU state, and NEWS2 reads the last charted vitals.
The backend is the Keras step model (compiled) or the exported int8 step TFLite/ONNX file.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from apps.vitals.cli import app
from apps.vitals.features import HourlyFeaturizer
from apps.vitals.inputs import read_stays
from apps.vitals.model import DEFAULT_MODEL_DIR, VitalsModel
from apps.vitals.news2 import news2_scores
from apps.vitals.psv import FEATURE_COLUMNS
from suite.cli import add_json_option, emit
from suite.errors import UserError

BACKENDS = {"keras": None, "tflite": "step_int8.tflite", "onnx": "step_int8.onnx"}  # backend -> file in model dir


class KerasStepper:
    """The Keras step model behind a compiled ``tf.function``; the GRU state is kept here."""

    def __init__(self, model) -> None:
        from suite.keras import tf
        from suite.streaming import compiled_step, initial_states, step_model

        step = step_model(model)
        self.run = compiled_step(step)
        self.zero_states = [tf.constant(state) for state in initial_states(step, 1)]
        self.reset()

    def reset(self) -> None:
        self.states = self.zero_states

    def step(self, features: np.ndarray) -> float:
        output, self.states = self.run(features.reshape(1, 1, -1), self.states)
        return float(np.asarray(output).reshape(-1)[0])


class RuntimeStepper:
    """An exported step model through ``export.runtime.StreamingRuntime`` (what a device would run)."""

    def __init__(self, path: Path) -> None:
        from export.runtime import StreamingRuntime

        if not path.is_file():
            raise UserError(f"{path}: no exported step model; run `python -m apps.vitals export` first")
        self.runtime = StreamingRuntime(str(path))

    def reset(self) -> None:
        self.runtime.reset()

    def step(self, features: np.ndarray) -> float:
        return float(np.asarray(self.runtime.step(features)).reshape(-1)[0])


class StayMonitor:
    """Hour-by-hour risk and NEWS2 for one stay, O(1) per hour."""

    def __init__(self, vitals: VitalsModel, stepper) -> None:
        self.featurizer = HourlyFeaturizer(vitals.stats)
        self.stepper = stepper
        self.threshold = vitals.threshold
        self.reset()

    def reset(self) -> None:
        self.featurizer.reset()
        self.stepper.reset()
        self.last_charted = np.full(len(FEATURE_COLUMNS), np.nan)

    def update(self, row: np.ndarray) -> tuple[float, int, bool]:
        """(risk, NEWS2, alert) after one more hour of 40 PSV values."""
        risk = self.stepper.step(self.featurizer.step(row))
        self.last_charted = np.where(np.isnan(row), self.last_charted, row)
        news = int(news2_scores(self.last_charted[None, :])[0])
        return risk, news, risk >= self.threshold


def make_stepper(backend: str, vitals: VitalsModel, model_dir: str):
    if backend == "keras":
        return KerasStepper(vitals.model)
    return RuntimeStepper(Path(model_dir) / BACKENDS[backend])


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="FILE.psv", help="one stay")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model directory")
    parser.add_argument("--backend", default="keras", choices=sorted(BACKENDS),
                        help="keras step model, or the int8 step model exported by `export`")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait between hours (a live demo)")
    add_json_option(parser)


@app.command("monitor", help="stream a stay hour by hour and print alerts as they happen "
             "(research tool, not a medical device)", arguments=_arguments)
def monitor_command(args: argparse.Namespace) -> int:
    if args.delay < 0:
        raise UserError(f"--delay: must be >= 0, got {args.delay}")
    if Path(args.path).is_dir():
        raise UserError(f"{args.path}: is a folder; monitor streams one stay (score takes many)")
    (path,), (stay,) = read_stays([args.path])
    vitals = VitalsModel.load(args.model)
    monitor = StayMonitor(vitals, make_stepper(args.backend, vitals, args.model))
    alerting, alert_hours, step_seconds = False, 0, []
    for hour, row in enumerate(stay.values, start=1):
        started = time.perf_counter()
        risk, news, alert = monitor.update(row)
        step_seconds.append(time.perf_counter() - started)
        alert_hours += int(alert)
        if args.json:
            emit({"file": str(path), "hour": hour, "risk": round(risk, 4), "news2": news, "alert": alert}, True)
        elif alert != alerting:
            print(f"hour {hour:>3}: {'ALERT' if alert else 'alert cleared'}  risk {risk:.3f} "
                  f"(threshold {vitals.threshold:.3f})  NEWS2 {news}", flush=True)
        alerting = alert
        if args.delay:
            time.sleep(args.delay)
    print(f"{path}: {stay.hours} hours streamed ({args.backend}), {alert_hours} alert hours, "
          f"median {np.median(step_seconds) * 1e6:.0f} us per hour", file=sys.stderr)
    return 0

