"""``score FILE.psv...``: hourly risk, NEWS2 and alert for every hour of every stay.

A batch command: every readable file is scored, each bad one is reported on its own line
(``error: FILE: problem``) and the command exits 2 at the end.
"""
from __future__ import annotations

import argparse

from apps.vitals.commands import RESEARCH_ONLY
from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import EXIT_USER_ERROR, add_json_option, emit

app = cli_of(__name__)
PLOT_STAYS = 6      # panels in --plot: more stays would shrink each timeline below readability


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="FILE.psv", help="PSV files (or folders of them)")
    add_model_options(parser, "step_int8.tflite")
    parser.add_argument("--plot", metavar="FILE.png", help=f"also draw the risk timelines of the first {PLOT_STAYS} stays next to NEWS2")
    add_json_option(parser)


@app.command("score", help=f"hourly risk, NEWS2 and alert per hour {RESEARCH_ONLY}", arguments=_arguments)
def score_command(args: argparse.Namespace) -> int:
    from apps.vitals.data import read_batch
    from apps.vitals.model import open_monitor
    from suite.app.models import check_output_file

    plot = check_output_file(args.plot, (".png",)) if args.plot else None
    monitor = open_monitor(args.model, args.backend)
    batch = read_batch(args.paths)
    scored = []
    for path, stay in zip(batch.files, batch.stays):
        hourly = monitor.score(stay)
        scored.append(hourly.risk)
        for hour, (risk, news, alert) in enumerate(zip(hourly.risk, hourly.news2, hourly.alert), start=1):
            record = {"file": str(path), "hour": hour, "risk": round(float(risk), 4), "news2": int(news),
                      "alert": bool(alert)}
            emit(record, args.json, f"{path}  hour {hour:>3}  risk {risk:.3f}  NEWS2 {int(news):>2}"
                                    f"{'  ALERT' if alert else ''}")
    if plot is not None and batch.stays:
        from apps.vitals.plots import risk_timelines

        risk_timelines(batch.stays[:PLOT_STAYS], scored[:PLOT_STAYS], monitor.threshold, plot,
                       title=f"{monitor.settings.name}, {monitor.backend}, on {len(batch.stays)} "
                             f"stay{'s' if len(batch.stays) > 1 else ''} from "
                             f"{', '.join(sorted({str(path.parent) for path in batch.files}))}")
    return EXIT_USER_ERROR if batch.errors else 0
