"""``check PATH...``: validate PSV files or folders and summarise them, before training or scoring."""
from __future__ import annotations

import argparse

import numpy as np

from apps.vitals.cli import app
from apps.vitals.psv import read_paths
from suite.cli import add_json_option, emit


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="PSV files or folders of them")
    add_json_option(parser)


@app.command("check", help="validate PhysioNet 2019 PSV files and summarise them", arguments=_arguments)
def check_command(args: argparse.Namespace) -> int:
    stays = read_paths(args.paths)  # raises UserError on the first unusable file
    values = np.concatenate([stay.values for stay in stays])
    labelled = [stay for stay in stays if stay.labels is not None]
    record = {
        "stays": len(stays),
        "hours": int(values.shape[0]),
        "missing_fraction": round(float(np.isnan(values).mean()), 4),
        "labelled_stays": len(labelled),
        "septic_stays": sum(int(stay.labels.any()) for stay in labelled),
        "impossible_values": sum(sum(stay.impossible.values()) for stay in stays),
    }
    emit(record, args.json)
    return 0
