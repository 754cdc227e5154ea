"""The shared ``train`` resumes a killed video run: kill it after its first checkpoint, run it again."""
from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.video_tiny import TINY_CLASSES, render_folder

EPOCHS = 6
CLIPS_PER_CLASS = 6  # 4 train, 1 validation, 1 test per class (tests.video_tiny.SPLIT_PATTERN)
POLL_S = 0.02
START_LIMIT_S = 180  # TensorFlow's import and the first epoch on a busy 2-core machine


def history_epochs(path: Path) -> list[int]:
    """Every epoch row the CSV logger wrote, repeats included (not deduplicated like read_history)."""
    if not path.is_file():
        return []
    with path.open(newline="") as handle:
        return [int(row["epoch"]) for row in csv.DictReader(handle)]


def test_killed_train_resumes_after_its_last_epoch(tmp_path, repo_on_pythonpath, monkeypatch):
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    data = render_folder(tmp_path / "clips", CLIPS_PER_CLASS, seed=5, classes=TINY_CLASSES)
    argv = [sys.executable, "-m", "apps.video", "train", "--config", "tiny", "--data", str(data),
            "--set", f"epochs={EPOCHS}", "--json"]
    run_dir = tmp_path / "runs" / "video" / "tiny"
    first = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_LIMIT_S
    # Kill right after the first epoch's row and checkpoint: the next epoch is far away.
    while not (history_epochs(run_dir / "history.csv") and any((run_dir / "backup").glob("*"))):
        assert first.poll() is None and time.monotonic() < deadline, "training ended or never started"
        time.sleep(POLL_S)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before = history_epochs(run_dir / "history.csv")
    assert 1 <= len(done_before) < EPOCHS and not (run_dir / "model").exists()

    second = subprocess.run(argv, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"resuming the run in {os.path.join('runs', 'video', 'tiny')}" in second.stderr
    epochs = history_epochs(run_dir / "history.csv")
    assert epochs == list(range(EPOCHS))  # every epoch once: the second run started after the first's last
    assert (run_dir / "model" / "history.csv").read_text() == (run_dir / "history.csv").read_text()
    assert history_epochs(run_dir / "baseline" / "history.csv") == list(range(EPOCHS))
    record = json.loads(second.stdout.splitlines()[-1])
    assert record["model_dir"] == os.path.join("runs", "video", "tiny", "model")
    assert record["metrics"]["heldout_clips"] == len(TINY_CLASSES)
