"""``score FILE.psv...``: hourly risk, NEWS2 and alert for every hour of every stay."""
from __future__ import annotations

import argparse

from apps.vitals.cli import app
from apps.vitals.inputs import read_stays
from apps.vitals.model import DEFAULT_MODEL_DIR, VitalsModel
from apps.vitals.news2 import news2_scores
from suite.cli import add_json_option, emit


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE.psv", help="PSV files (or folders of them)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model directory")
    add_json_option(parser)


@app.command("score", help="hourly risk, NEWS2 and alert per hour (research tool, not a medical device)",
             arguments=_arguments)
def score_command(args: argparse.Namespace) -> int:
    files, stays = read_stays(args.paths)  # all files validated before the first line is printed
    vitals = VitalsModel.load(args.model)
    for path, stay, risk in zip(files, stays, vitals.predict(stays)):
        for hour, (value, news) in enumerate(zip(risk, news2_scores(stay)), start=1):
            record = {"file": str(path), "hour": hour, "risk": round(float(value), 4), "news2": int(news),
                      "alert": bool(value >= vitals.threshold)}
            emit(record, args.json, f"{path}  hour {hour:>3}  risk {value:.3f}  NEWS2 {int(news):>2}"
                                    f"{'  ALERT' if record['alert'] else ''}")
    return 0
