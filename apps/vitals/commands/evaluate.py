"""``evaluate --data PATH...``: the model and NEWS2 side by side on labelled stays, with figures on request.

Every file must be readable and labelled (the figures are one aggregate, not one result per file).
Figures and ``evaluation.json`` go into ``--out DIR`` when given, never into the working directory.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

from apps.vitals.commands import RESEARCH_ONLY, show_progress
from suite.app.models import add_model_options
from suite.app import cli_of
from suite.cli import add_json_option, emit, progress
from suite.errors import UserError

app = cli_of(__name__)
TIMELINE_STAYS = 4       # two septic and two other stays, when there are that many
CALIBRATION_FILE = "calibration.png"
TIMELINE_FILE = "risk_timelines.png"
REPORT_FILE = "evaluation.json"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, nargs="+", metavar="PATH", help="labelled PSV files or folders")
    add_model_options(parser, "step_int8.tflite")
    parser.add_argument("--out", metavar="DIR",
                        help=f"folder for {REPORT_FILE}, {CALIBRATION_FILE} and {TIMELINE_FILE} (written atomically; "
                             "default: print the figures only)")
    add_json_option(parser)


@app.command("evaluate", help=f"per-hour AUROC, AUPRC and utility of the model and NEWS2 side by side {RESEARCH_ONLY}",
             arguments=_arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    from apps.vitals.data import read_stays
    from apps.vitals.metrics import side_by_side
    from apps.vitals.model import open_monitor

    out = check_out_folder(args.out) if args.out else None
    monitor = open_monitor(args.model, args.backend)
    _, stays = read_stays(args.data, require_labels=True)
    if not any(stay.labels.any() for stay in stays):
        raise UserError(f"{' '.join(args.data)}: no stay has SepsisLabel = 1; AUROC and utility need septic stays")
    risks = [monitor.score(stay).risk for stay in progress(stays, "scoring stays", total=len(stays),
                                                            enabled=show_progress(args.json))]
    record = {"data": list(args.data), "model_name": monitor.settings.name, "backend": monitor.backend,
              "alert_threshold": monitor.threshold, **side_by_side(stays, risks, monitor.threshold)}
    if out is not None:
        write_report(out, record, stays, risks, monitor.threshold)
    emit(record, args.json, format_table(record))
    return 0


def check_out_folder(path: str) -> Path:
    """``--out``: a new folder or an earlier evaluation's (replaced whole), never another non-empty folder."""
    out = Path(path)
    if out.exists() and not out.is_dir():
        raise UserError(f"{out}: is a file; --out needs a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / REPORT_FILE).is_file():
        raise UserError(f"{out}: a non-empty folder without {REPORT_FILE}; refusing to replace it")
    return out


def write_report(out: Path, record: dict, stays: Sequence, risks: Sequence, threshold: float) -> None:
    from apps.vitals.plots import calibration_plot, risk_timelines
    from suite.atomic import atomic_path

    title = f"{record['model_name']}, {record['backend']}, on {len(stays)} stays of {', '.join(record['data'])}"
    with atomic_path(out, is_dir=True) as tmp:
        record["calibration"] = calibration_plot([stay.labels for stay in stays], risks, tmp / CALIBRATION_FILE, title)
        chosen = timeline_stays(stays)
        risk_timelines([stays[i] for i in chosen], [risks[i] for i in chosen], threshold, tmp / TIMELINE_FILE, title)
        (tmp / REPORT_FILE).write_text(json.dumps(record, indent=1) + "\n")
    record["out"] = str(out)


def timeline_stays(stays: Sequence, count: int = TIMELINE_STAYS) -> list[int]:
    """Indices of up to ``count`` stays: half septic, half not, in file order."""
    septic = [i for i, stay in enumerate(stays) if stay.labels.any()]
    others = [i for i, stay in enumerate(stays) if not stay.labels.any()]
    half = count // 2
    chosen = septic[:half]
    chosen += others[:count - len(chosen)]
    chosen += septic[half:half + count - len(chosen)]  # too few non-septic stays: more septic ones
    return sorted(chosen)


def format_table(record: dict) -> str:
    lines = [f"{record['stays']} stays ({record['septic_stays']} septic), {record['hours']} hours "
             f"({record['positive_hours']} labelled positive); alert threshold {record['alert_threshold']:.3f}",
             f"{'':8}{'AUROC':>8}{'AUPRC':>8}{'utility':>9}"]
    for name, key in (("model", "model"), ("NEWS2", "news2")):
        row = record[key]
        lines.append(f"{name:8}{row['auroc']:>8.3f}{row['auprc']:>8.3f}{row['utility']:>9.3f}")
    if "out" in record:
        out = Path(record["out"])
        lines.append(f"figures: {out / CALIBRATION_FILE}, {out / TIMELINE_FILE}; report: {out / REPORT_FILE}")
    return "\n".join(lines)
