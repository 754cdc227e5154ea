"""The shared ``train`` resumes a killed video run: kill it after its first checkpoint, run it again."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

from tests.run_folders import first_epoch_saved, history_epochs
from tests.video_tiny import TINY_CLASSES, render_folder

EPOCHS = 6
CLIPS_PER_CLASS = 6  # 4 train, 1 validation, 1 test per class (tests.video_tiny.SPLIT_PATTERN)
POLL_S = 0.02
START_LIMIT_S = 180  # TensorFlow's import and the first epoch on a busy 2-core machine


def test_killed_train_resumes_after_its_last_epoch(tmp_path, repo_on_pythonpath, monkeypatch):
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    data = render_folder(tmp_path / "clips", CLIPS_PER_CLASS, seed=5, classes=TINY_CLASSES)
    argv = [sys.executable, "-m", "apps.video", "train", "--config", "tiny", "--data", str(data),
            "--set", f"epochs={EPOCHS}", "--json"]
    run_dir = tmp_path / "runs" / "video" / "tiny"
    first = subprocess.Popen(argv, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + START_LIMIT_S
    # Kill right after the first epoch's row and finished checkpoint (the row is written first): the next epoch
    # is far away.
    while not first_epoch_saved(run_dir):
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


def test_a_finished_phase_is_reused_only_beside_its_history(tmp_path):
    """A resumed run loads the phases it finished; after a fresh start (histories dropped) they train again."""
    import numpy as np
    import pytest

    from apps.video import training
    from apps.video.presets import PRESETS
    from suite.app import TrainRun
    from suite.keras import keras, tf
    from suite.train_config import TrainConfig

    run = TrainRun(config=PRESETS["tiny"].config, preset="tiny", run_dir=tmp_path, data=None, strategy="default",
                   verbose=False, args=None)
    folder = tmp_path / "baseline"
    folder.mkdir()
    finished = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    finished.save(folder / training.FINISHED_FILE)
    (folder / "history.csv").write_text("epoch,loss\n0,1.0\n")

    def train_again():
        raise RuntimeError("trained again")

    data = tf.data.Dataset.from_tensor_slices((np.zeros((4, 3), np.float32), np.zeros((4, 2), np.float32))).batch(2)
    reused = training.fit_phase(run, "baseline", train_again, data, None, TrainConfig(epochs=1), "mse", [])
    np.testing.assert_array_equal(reused.get_weights()[0], finished.get_weights()[0])
    (folder / "history.csv").unlink()  # what the shared train does when a run starts afresh
    with pytest.raises(RuntimeError, match="trained again"):
        training.fit_phase(run, "baseline", train_again, data, None, TrainConfig(epochs=1), "mse", [])
