"""forecast FILE.csv --horizon H: the 10/50/90% quantiles of the next H values of every column."""
from __future__ import annotations

import argparse

from apps.forecast.options import add_csv_input_options
from suite.app import cli_of
from suite.cli import emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    add_csv_input_options(parser)
    parser.add_argument("--horizon", type=int, default=None, help="steps ahead (default: the model's horizon)")


@app.command("forecast", help="forecast the next H values of a CSV's columns with 80%% intervals",
             arguments=_arguments)
def forecast(args: argparse.Namespace) -> int:
    from apps.forecast.inference import check_horizon, forecast_record, forecast_series
    from apps.forecast.options import csv_and_step_model

    all_series, ref, stepper = csv_and_step_model(args)
    horizon = check_horizon(args.horizon, ref.config)
    for series in all_series:
        record = forecast_record(series, forecast_series(stepper, series, ref.config, horizon))
        emit(record, args.json, text=_text(record))
    return 0


def _text(record: dict) -> str:
    rows = [f"{record['series']}: next {record['horizon']} values after {record['last_time']} (median [80% interval])"]
    rows += [f"  {step['time']}  {step['median']:.4g}  [{step['low_80']:.4g}, {step['high_80']:.4g}]"
             for step in record["forecast"]]
    return "\n".join(rows)
