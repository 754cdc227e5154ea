"""The shared ``train`` on vitals resumes after a kill: killed after the first epoch's checkpoint, the same
command continues from there and the history holds every epoch exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from suite.app import main
from tests.run_folders import first_epoch_saved, history_epochs

EPOCHS = 6
PATIENTS = 240
POLL_S = 0.05
START_LIMIT_S = 180     # TensorFlow import plus the first epoch, on a busy 2-core machine
TRAIN = ["train", "--config", "tiny", "--set", f"epochs={EPOCHS}", "--set", f"train_patients={PATIENTS}",
         "--set", "heldout_patients=0", "--name", "resumable"]


def test_killed_train_resumes_after_its_last_checkpoint(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    assert main("vitals", ["prepare-data", "--config", "tiny", "--patients", str(PATIENTS), "--json"]) == 0
    capsys.readouterr()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                                        os.environ.get("PYTHONPATH")]))}
    command = [sys.executable, "-m", "apps.vitals", *TRAIN]
    run_dir = tmp_path / "runs" / "vitals" / "resumable"

    first = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + START_LIMIT_S
    while not first_epoch_saved(run_dir) and first.poll() is None and time.monotonic() < deadline:
        time.sleep(POLL_S)
    first.send_signal(signal.SIGKILL)
    first.wait()
    done_before_kill = history_epochs(run_dir / "history.csv")
    assert 1 <= len(done_before_kill) < EPOCHS, done_before_kill
    assert not (run_dir / "model").exists()

    second = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=START_LIMIT_S)
    assert second.returncode == 0, second.stderr
    assert "resuming the run in runs/vitals/resumable" in second.stderr
    first_epoch_shown = int(second.stdout.split("Epoch ", 1)[1].split("/", 1)[0])
    assert first_epoch_shown == len(done_before_kill) + 1   # started after the checkpointed epochs
    assert history_epochs(run_dir / "history.csv") == list(range(EPOCHS))   # every epoch exactly once
    assert (run_dir / "model" / "config.json").is_file() and not (tmp_path / "saved_models").exists()
