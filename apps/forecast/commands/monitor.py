"""monitor FILE.csv: stream a column value by value; each value updates the forecast in O(1) (one model step)
and is flagged when it falls outside the 80% interval forecast one step before it."""
from __future__ import annotations

import argparse

from apps.forecast.options import add_csv_input_options
from apps.forecast.tracking import TRACKING_RATE
from suite.app import cli_of
from suite.cli import emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_csv_input_options(parser)
    parser.add_argument("--warmup", type=int, default=None,
                        help="values read before any is checked; they also fix the scaling "
                             "(default: the model's context or four seasons, at most half the file)")
    parser.add_argument("--alerts-only", action="store_true", help="print only values outside the interval")
    parser.add_argument("--tracking-rate", type=float, default=None, metavar="R",
                        help="how fast the interval's bounds adapt to the values' misses (default "
                             f"{TRACKING_RATE}; 0: fixed intervals)")


@app.command("monitor", help="stream a CSV value by value with the step model; flag surprising values",
             arguments=_arguments)
def monitor(args: argparse.Namespace) -> int:
    from apps.forecast.inference import default_warmup, monitor_scale, monitor_stream
    from apps.forecast.tracking import IntervalTracker
    from apps.forecast.options import csv_and_step_model
    from suite.errors import UserError

    rate = TRACKING_RATE if args.tracking_rate is None else args.tracking_rate
    if not rate >= 0:
        raise UserError(f"--tracking-rate {args.tracking_rate}: must be >= 0")
    all_series, ref, stepper = csv_and_step_model(args)
    warmup = default_warmup(ref.config, all_series) if args.warmup is None else args.warmup
    if not 2 <= warmup < min(len(series) for series in all_series):
        raise UserError(f"{args.file}: --warmup {warmup} must be at least 2 and below the file's "
                        f"{min(len(series) for series in all_series)} rows")
    horizon = int(ref.config["horizon"])
    for series in all_series:
        scale = monitor_scale(series, ref.config, warmup)
        flagged = 0
        tracker = IntervalTracker(horizon, rate, scale.floor)
        for update in monitor_stream(stepper, series, scale, warmup, horizon, tracker):
            flagged += bool(update.outside)
            if args.alerts_only and not update.outside:
                continue
            emit(_record(series.name, update), args.json, text=_text(series.name, update))
        emit({"series": series.name, "values": len(series), "checked": max(len(series) - warmup, 0),
              "outside_80": flagged}, args.json,
             text=f"{series.name}: {flagged} of {max(len(series) - warmup, 0)} checked values outside the 80% interval")
    return 0


def _record(name: str, update) -> dict:
    from apps.forecast.metrics import HIGH, LOW, MEDIAN

    record = {"series": name, "index": update.index, "time": str(update.time), "value": update.value,
              "next_median": round(float(update.next_forecast[0, MEDIAN]), 6)}
    if update.expected is not None:
        record.update(expected_median=round(float(update.expected[MEDIAN]), 6),
                      low_80=round(float(update.expected[LOW]), 6), high_80=round(float(update.expected[HIGH]), 6),
                      outside_80=update.outside)
    return record


def _text(name: str, update) -> str:
    record = _record(name, update)
    if update.expected is None:
        return f"{name} {record['time']}  {update.value:.4g}  (warm-up)  next {record['next_median']:.4g}"
    flag = "  OUTSIDE 80%" if update.outside else ""
    return (f"{name} {record['time']}  {update.value:.4g}  expected {record['expected_median']:.4g} "
            f"[{record['low_80']:.4g}, {record['high_80']:.4g}]  next {record['next_median']:.4g}{flag}")
