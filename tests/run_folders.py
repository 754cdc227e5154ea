"""What a train run folder shows while it runs: the resume tests kill a run once its first epoch is saved."""
from __future__ import annotations

import csv
from pathlib import Path

from suite.app.paths import has_checkpoint


def history_epochs(path: Path) -> list[int]:
    """Every epoch row the CSV logger wrote, repeats included (not deduplicated like read_history)."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def first_epoch_saved(run_dir: Path) -> bool:
    """The first epoch has finished: its history row is written, then its checkpoint (suite.training's order)."""
    return bool(history_epochs(run_dir / "history.csv")) and has_checkpoint(run_dir)
