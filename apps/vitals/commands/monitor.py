"""``monitor FILE.psv``: stream a stay hour by hour through the step model, printing alerts as they happen.

Each new hour costs O(1): ``HourlyFeaturizer`` updates its last values and hours-since counters,
the exported int8 step model takes the hour's features and the GRU state, and NEWS2 reads the last
charted vitals. ``--backend keras`` runs the Keras step model instead (comparison only).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from apps.vitals.commands import RESEARCH_ONLY
from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import add_json_option, emit
from suite.errors import UserError

app = cli_of(__name__)
MICROSECONDS = 1e6


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="FILE.psv", help="one stay")
    add_model_options(parser, "step_int8.tflite")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds to wait between hours (a live demo)")
    add_json_option(parser)


@app.command("monitor", help=f"stream a stay hour by hour and print alerts as they happen {RESEARCH_ONLY}",
             arguments=_arguments)
def monitor_command(args: argparse.Namespace) -> int:
    import numpy as np

    from apps.vitals.data import read_stays
    from apps.vitals.model import open_monitor

    if args.delay < 0:
        raise UserError(f"--delay: must be >= 0, got {args.delay}")
    if Path(args.path).is_dir():
        raise UserError(f"{args.path}: is a folder; monitor streams one stay (score takes many)")
    monitor = open_monitor(args.model, args.backend)
    (path,), (stay,) = read_stays([args.path])
    monitor.reset()
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
                  f"(threshold {monitor.threshold:.3f})  NEWS2 {news}", flush=True)
        alerting = alert
        if args.delay:
            time.sleep(args.delay)
    print(f"{path}: {stay.hours} hours streamed ({monitor.backend}), {alert_hours} alert hours, "
          f"median {np.median(step_seconds) * MICROSECONDS:.0f} us per hour", file=sys.stderr)
    return 0
