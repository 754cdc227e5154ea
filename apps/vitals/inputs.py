"""Reading the PSV files named on a command line, with one clean warning line for impossible values.

Everything is read and validated before a command writes or prints anything, so a bad file among
many leaves no partial output.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from apps.vitals.psv import LABEL_COLUMN, Stay, describe_impossible, read_psv, total_impossible
from suite.errors import UserError


def expand_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """Files as given, folders as their sorted ``*.psv`` files."""
    files: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(path.glob("*.psv"))
            if not found:
                raise UserError(f"{path}: no .psv files")
            files.extend(found)
        else:
            files.append(path)
    return files


def read_stays(paths: Sequence[str | os.PathLike], require_labels: bool = False) -> tuple[list[Path], list[Stay]]:
    """Read every file (raising UserError on the first unusable one), then warn once about impossible values."""
    files = expand_paths(paths)
    stays = [read_psv(path, warn=False) for path in files]
    if require_labels:
        unlabelled = [path for path, stay in zip(files, stays) if stay.labels is None]
        if unlabelled:
            raise UserError(f"{unlabelled[0]}: no {LABEL_COLUMN} column ({len(unlabelled)} unlabelled files); "
                            "labels are needed here")
    warn_impossible(stays)
    return files, stays


def warn_impossible(stays: Sequence[Stay]) -> None:
    """One ``warning:`` line on stderr counting the impossible values dropped, if any."""
    totals = total_impossible(stays)
    if totals:
        affected = sum(1 for stay in stays if stay.impossible)
        print(f"warning: {describe_impossible(totals)} in {affected} of {len(stays)} files", file=sys.stderr)
