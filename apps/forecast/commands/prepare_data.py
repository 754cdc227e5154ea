"""prepare-data: write the bundled series as CSV files (time,value) and list them."""
from __future__ import annotations

import argparse
from pathlib import Path

from suite.app import cache_dir, cli_of
from suite.cli import add_json_option, emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", help="folder for the CSV files (default: the app's cache folder)")
    add_json_option(parser)


@app.command("prepare-data", help="write the 7 bundled series as CSV files (time,value) and list them",
             arguments=_arguments)
def prepare_data(args: argparse.Namespace) -> int:
    from apps.forecast import data
    from suite.atomic import write_text

    folder = Path(args.out) if args.out else cache_dir("forecast", "series")
    for name in data.BUNDLED:
        series = data.load_bundled(name)
        path = folder / f"{name}.csv"
        lines = [f"time,{name}"] + [f"{t},{v:g}" for t, v in zip(series.times, series.values)]
        write_text(path, "\n".join(lines) + "\n")
        record = {"series": name, "file": str(path), "values": len(series), "start": str(series.times[0]),
                  "end": str(series.times[-1]), "season": series.season, "unit": series.unit, "source": series.source}
        emit(record, args.json, text=f"{name:<24} {len(series):>6} values  {record['start']} .. {record['end']}  "
                                     f"season {series.season:<4} {series.unit:<6} {path}")
    return 0
