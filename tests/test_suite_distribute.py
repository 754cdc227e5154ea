"""Distribution strategies: mocked TPU resolution, clear errors, Mirrored on two logical CPUs."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path
from unittest import mock

import pytest

from suite import distribute
from suite.errors import UserError
from suite.keras import tf

ROOT = Path(__file__).resolve().parents[1]


def test_tpu_path_resolves_connects_initializes():
    resolver = object()
    with mock.patch.object(tf.distribute.cluster_resolver, "TPUClusterResolver", return_value=resolver) as make_resolver, \
            mock.patch.object(tf.config, "experimental_connect_to_cluster") as connect, \
            mock.patch.object(tf.tpu.experimental, "initialize_tpu_system") as initialize, \
            mock.patch.object(tf.distribute, "TPUStrategy", return_value="tpu-strategy") as make_strategy:
        assert distribute.strategy("tpu", tpu="grpc://10.0.0.2:8470") == "tpu-strategy"
    make_resolver.assert_called_once_with(tpu="grpc://10.0.0.2:8470")
    connect.assert_called_once_with(resolver)
    initialize.assert_called_once_with(resolver)
    make_strategy.assert_called_once_with(resolver)


def test_no_tpu_gives_one_line_error():
    with mock.patch.object(tf.distribute.cluster_resolver, "TPUClusterResolver",
                           side_effect=ValueError("Please provide a TPU Name to connect to.\nmore detail")):
        with pytest.raises(UserError) as error:
            distribute.strategy("tpu")
    message = str(error.value)
    assert message == "--strategy tpu: no TPU found (Please provide a TPU Name to connect to.)"
    assert "\n" not in message


def test_auto_falls_back_to_default_without_tpu_or_gpus():
    with mock.patch.object(tf.distribute.cluster_resolver, "TPUClusterResolver", side_effect=ValueError("no tpu")):
        chosen = distribute.strategy("auto")
    assert chosen is tf.distribute.get_strategy()


def test_multiworker_needs_tf_config(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(UserError, match="TF_CONFIG is not set"):
        distribute.strategy("multiworker")
    monkeypatch.setenv("TF_CONFIG", "{not json")
    with pytest.raises(UserError, match="must be JSON"):
        distribute.strategy("multiworker")


def test_unknown_kind():
    with pytest.raises(UserError, match="'gpu-cluster'"):
        distribute.strategy("gpu-cluster")


MIRRORED_SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    from suite.keras import tf
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
    from suite import build_model
    from suite.training import TrainConfig, fit

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int64")
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(16)
    build = lambda: build_model("many_to_one", cell="gru", units=8, input_shape=(6, 3), output_size=2)
    config = TrainConfig(epochs=1, seed=5, optimizer="sgd", learning_rate=0.05)
    losses = {}
    for kind in ("default", "mirrored"):
        model, history = fit(build, data, None, sys.argv[1] + "/" + kind, config, "sparse_categorical_crossentropy", strategy=kind, verbose=0)
        losses[kind] = history["loss"][0]
        losses[kind + "_weights"] = float(sum(np.abs(w).sum() for w in model.get_weights()))
    from suite import distribute
    losses["replicas"] = distribute.strategy("mirrored").num_replicas_in_sync
    print(json.dumps(losses))
""")


def test_mirrored_on_two_logical_cpus_matches_single_device(tmp_path, repo_on_pythonpath):
    script = tmp_path / "mirrored.py"
    script.write_text(MIRRORED_SCRIPT)
    result = subprocess.run([sys.executable, str(script), str(tmp_path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    measured = json.loads(result.stdout.strip().splitlines()[-1])
    assert measured["replicas"] == 2
    assert measured["mirrored"] == pytest.approx(measured["default"], rel=1e-3)
    assert measured["mirrored_weights"] == pytest.approx(measured["default_weights"], rel=1e-3)
