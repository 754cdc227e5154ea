"""``check PATH...``: validate PSV files or folders and summarise them, before training or scoring.

A batch command: the readable files are summarised, each bad one is reported on its own line and the
command exits 2 at the end.
"""
from __future__ import annotations

import argparse

from suite.app import cli_of
from suite.cli import EXIT_USER_ERROR, add_json_option, emit

app = cli_of(__name__)


def _arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="PSV files or folders of them")
    add_json_option(parser)


@app.command("check", help="validate PhysioNet 2019 PSV files and summarise them", arguments=_arguments)
def check_command(args: argparse.Namespace) -> int:
    import numpy as np

    from apps.vitals.data import read_batch

    batch = read_batch(args.paths)
    if batch.stays:
        values = np.concatenate([stay.values for stay in batch.stays])
        labelled = [stay for stay in batch.stays if stay.labels is not None]
        emit({"stays": len(batch.stays), "hours": int(values.shape[0]),
              "missing_fraction": round(float(np.isnan(values).mean()), 4), "labelled_stays": len(labelled),
              "septic_stays": sum(int(stay.labels.any()) for stay in labelled),
              "impossible_values": sum(sum(stay.impossible.values()) for stay in batch.stays),
              "bad_files": len(batch.errors)}, args.json)
    return EXIT_USER_ERROR if batch.errors else 0
