"""``evaluate --data DIR``: the model and NEWS2 side by side on labelled stays, with figures."""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Sequence

from apps.vitals.cli import app
from apps.vitals.inputs import read_stays
from apps.vitals.metrics import side_by_side
from apps.vitals.model import DEFAULT_MODEL_DIR, VitalsModel
from apps.vitals.plots import calibration_plot, risk_timelines
from apps.vitals.psv import Stay
from suite.atomic import atomic_path
from suite.cli import add_json_option, emit
from suite.errors import UserError

TIMELINE_STAYS = 4       # two septic and two other stays, when there are that many
CALIBRATION_FILE = "calibration.png"
TIMELINE_FILE = "risk_timelines.png"
REPORT_FILE = "evaluation.json"


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--data", required=True, nargs="+", metavar="PATH", help="labelled PSV files or folders")
    parser.add_argument("--model", default=str(DEFAULT_MODEL_DIR), help="model directory")
    parser.add_argument("--out", default="vitals_evaluation",
                        help=f"folder for {REPORT_FILE}, {CALIBRATION_FILE} and {TIMELINE_FILE} (written atomically)")
    add_json_option(parser)


@app.command("evaluate", help="per-hour AUROC, AUPRC and utility of the model and NEWS2 side by side "
             "(research tool, not a medical device)", arguments=_arguments)
def evaluate_command(args: argparse.Namespace) -> int:
    _, stays = read_stays(args.data, require_labels=True)
    if not any(stay.labels.any() for stay in stays):
        raise UserError(f"{' '.join(args.data)}: no stay has SepsisLabel = 1; AUROC and utility need septic stays")
    vitals = VitalsModel.load(args.model)
    risks = vitals.predict(stays)
    record = {"data": list(args.data), "model": str(args.model), "alert_threshold": vitals.threshold,
              **side_by_side(stays, risks, vitals.threshold)}
    with atomic_path(args.out, is_dir=True) as tmp:
        record["calibration"] = calibration_plot([stay.labels for stay in stays], risks, tmp / CALIBRATION_FILE)
        chosen = timeline_stays(stays)
        risk_timelines([stays[i] for i in chosen], [risks[i] for i in chosen], vitals.threshold, tmp / TIMELINE_FILE)
        (tmp / REPORT_FILE).write_text(json.dumps(record, indent=1) + "\n")
    record["out"] = str(args.out)
    emit(record, args.json, format_table(record))
    return 0


def timeline_stays(stays: Sequence[Stay], count: int = TIMELINE_STAYS) -> list[int]:
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
    out = Path(record["out"])
    lines.append(f"figures: {out / CALIBRATION_FILE}, {out / TIMELINE_FILE}; report: {out / REPORT_FILE}")
    return "\n".join(lines)
