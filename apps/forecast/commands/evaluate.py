"""evaluate: the model against naive, seasonal naive and ETS on every series' rolling origins; a fan chart."""
from __future__ import annotations

import argparse
from pathlib import Path

from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", metavar="FILE.csv", help="evaluate a CSV's columns (default: the bundled series)")
    parser.add_argument("--series", action="append", metavar="NAME", help="bundled series to evaluate; repeatable")
    parser.add_argument("--origins", type=int, default=None, help="forecast origins per series (default 40)")
    parser.add_argument("--out", metavar="DIR", help="folder for the fan chart (default: next to the model)")
    add_model_options(parser)
    add_json_option(parser)


@app.command("evaluate", help="MASE, sMAPE, quantile loss and 80%% coverage against naive, seasonal naive and ETS",
             arguments=_arguments)
def evaluate(args: argparse.Namespace) -> int:
    from apps.forecast import data
    from apps.forecast.evaluation import DEFAULT_ORIGINS, evaluate_series, record, summary
    from apps.forecast.model import SEQUENCE_FILE, sequence_forecaster
    from apps.forecast.options import model_ref
    from apps.forecast.plots import fan_chart
    from suite.errors import UserError

    origins = args.origins or DEFAULT_ORIGINS
    if origins < 1:
        raise UserError(f"--origins {origins}: must be >= 1")
    ref = model_ref(args, SEQUENCE_FILE)
    all_series = data.read_csv(args.data) if args.data else data.load_all(args.series)
    forecaster = sequence_forecaster(ref)
    results = [evaluate_series(forecaster, series, ref.config, origins) for series in all_series]
    for result in results:
        emit(record(result), args.json, text=_row(result))
    folder = Path(args.out) if args.out else (ref.model_dir or ref.path.parent)
    chart = fan_chart(results, folder / "forecast_fan.png", f"{ref.path.name} ({ref.backend})")
    emit({"summary": summary(results), "chart": str(chart)}, args.json,
         text=f"model beats: {summary(results)['model_beats']} of {len(results)} series; chart {chart}")
    return 0


def _row(result) -> str:
    s = result.scores
    return (f"{result.series.name:<24} model MASE {s['model']['mase']:.3f} sMAPE {s['model']['smape']:.2f} "
            f"QL {s['model']['quantile_loss']:.3f} cov80 {s['model']['coverage_80']:.2f} | naive {s['naive']['mase']:.3f} "
            f"seasonal_naive {s['seasonal_naive']['mase']:.3f} statistical {s['statistical']['mase']:.3f}")
