"""MultiWorkerMirroredStrategy across two worker processes on localhost equals single-worker training."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap

import pytest

from tests.conftest import ROOT

WORKER_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from suite import build_model, distribute
    from suite.keras import tf
    from suite.training import TrainConfig, fit

    distribute.strategy(sys.argv[2])  # before any tensor, as the train command does

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    build = lambda: build_model("many_to_one", cell="gru", units=8, input_shape=(6, 3), output_size=2)
    config = TrainConfig(epochs=2, seed=5, optimizer="sgd", learning_rate=0.05)
    model, history = fit(build, data, None, sys.argv[1], config, "sparse_categorical_crossentropy",
                         strategy=sys.argv[2], verbose=0)
    print(json.dumps({"loss": history["loss"], "weights": float(sum(np.abs(w).sum() for w in model.get_weights()))}))
""")
WORKERS = 2
TIMEOUT_S = 300


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))  # loopback only
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=TIMEOUT_S)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def test_two_localhost_workers_match_one_worker(tmp_path, repo_on_pythonpath):
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT)
    single = subprocess.Popen([sys.executable, str(script), str(tmp_path / "single"), "default"], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in _free_ports(WORKERS)]}
    workers = []
    for index in range(WORKERS):
        env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}})}
        workers.append(subprocess.Popen([sys.executable, str(script), str(tmp_path / f"worker{index}"), "multiworker"],
                                        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    reference = _result(single)
    results = [_result(worker) for worker in workers]
    for result in results:
        assert len(result["loss"]) == 2
        # synchronous training: every worker ends with the same weights, and the loss per epoch is the one-worker loss
        assert result["weights"] == pytest.approx(results[0]["weights"], rel=1e-6)
        assert result["loss"] == pytest.approx(reference["loss"], rel=2e-3)
    assert results[0]["weights"] == pytest.approx(reference["weights"], rel=2e-3)
