"""The app framework on a toy app: shared train (run folder, resume, config.json) and export (one policy)."""
from __future__ import annotations

import json
import sys
import textwrap

import numpy as np
import pytest

import apps
from suite.app import models, registry
from suite.errors import UserError

TOY_APP = '''
from dataclasses import dataclass
from suite.app import AppSpec, Preset, Trained

@dataclass(frozen=True)
class ToyConfig:
    units: int = 8
    epochs: int = 3
    def __post_init__(self):
        if self.units < 1:
            raise ValueError(f"units must be >= 1, got {self.units}")

def train(run):
    from suite import build_model
    from suite.keras import tf
    from suite.training import TrainConfig, fit
    from apps.toyapp.calibration import samples
    x, y = samples(256, seed=0)
    data = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    kwargs = {"cell": "gru", "units": run.config.units, "input_shape": [6, 2], "output_size": 2}
    model, history = fit(lambda: build_model("many_to_one", **kwargs), data, None, run.run_dir,
                         TrainConfig(epochs=run.config.epochs, learning_rate=0.03), "sparse_categorical_crossentropy",
                         metrics=["accuracy"], verbose=0)
    return Trained(model, {"topology": "many_to_one", "model": kwargs}, {"epochs_run": len(history["epoch"])},
                   data={"generated": 256})

APP = AppSpec(name="toyapp", description="a toy app", task="classification",
              presets={"tiny": Preset("a few seconds", ToyConfig())}, default_preset="tiny", train=train)
'''

TOY_CALIBRATION = '''
import numpy as np
from export.calibration import register_dataset

def samples(count, seed):
    x = np.random.default_rng(seed).normal(size=(count, 6, 2)).astype("float32")
    return x, (x[:, :, 0].sum(1) > 0).astype("int64")

@register_dataset("toyapp")
def dataset(config, split, count):
    return samples(count, seed={"calibration": 1, "heldout": 2, "train": 3}[split])
'''

TOY_COMMAND = '''
from suite.app import cli_of
app = cli_of(__name__)

@app.command("hello", help="say hello")
def hello(args):
    print("hello from toyapp")
'''


@pytest.fixture
def toy_app(tmp_path, monkeypatch):
    package = tmp_path / "pkgs" / "toyapp"
    (package / "commands").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "app.py").write_text(textwrap.dedent(TOY_APP))
    (package / "calibration.py").write_text(textwrap.dedent(TOY_CALIBRATION))
    (package / "commands" / "__init__.py").write_text("")
    (package / "commands" / "hello.py").write_text(textwrap.dedent(TOY_COMMAND))
    monkeypatch.setattr(apps, "__path__", [*apps.__path__, str(tmp_path / "pkgs")])
    for cached in (registry.load_app, registry.cli, registry.build_cli):
        cached.cache_clear()
    yield tmp_path
    for name in [m for m in sys.modules if m.startswith("apps.toyapp")]:
        del sys.modules[name]
    for cached in (registry.load_app, registry.cli, registry.build_cli):
        cached.cache_clear()


def test_registry_finds_the_app_and_its_commands(toy_app, capsys):
    assert "toyapp" in registry.app_names()
    assert registry.build_cli("toyapp").command_names == ["export", "hello", "train"]
    assert registry.main("toyapp", ["hello"]) == 0
    assert capsys.readouterr().out == "hello from toyapp\n"


def test_bad_override_is_one_line(toy_app, capsys):
    assert registry.main("toyapp", ["train", "--set", "units=0", "--runs", str(toy_app / "runs")]) == 2
    assert capsys.readouterr().err.strip() == "error: --set: units must be >= 1, got 0"
    assert not (toy_app / "runs").exists()


def test_train_then_export(toy_app, capsys, monkeypatch):
    monkeypatch.chdir(toy_app)
    assert registry.main("toyapp", ["train", "--set", "epochs=2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model_dir = toy_app / "runs" / "toyapp" / "tiny" / "model"
    assert record["model_dir"] == "runs/toyapp/tiny/model"
    config = json.loads((model_dir / "config.json").read_text())
    assert (config["app"], config["task"], config["preset"], config["overrides"]) == (
        "toyapp", "classification", "tiny", ["epochs=2"])
    assert config["settings"] == {"units": 8, "epochs": 2}
    assert config["command"] == "python -m apps.toyapp train --set epochs=2 --json"
    assert (model_dir / "history.csv").read_text().count("\n") == 3   # header + 2 epochs

    assert registry.main("toyapp", ["export", "--model", str(model_dir), "--format", "tflite", "--json"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.strip().splitlines()]
    assert [line["file"] for line in lines] == ["model_int8.tflite", "step_int8.tflite"]
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert set(metrics["exports"]) == {"model_int8.tflite", "step_int8.tflite"}
    assert all(entry["passed"] and entry["agreement"] >= 0.97 for entry in metrics["exports"].values())
    assert metrics["exports"]["step_int8.tflite"]["step_sequences"] >= 100

    ref = models.resolve_model("toyapp", model_dir, "model_int8")
    probabilities = ref.load_runtime().run(np.zeros((1, 6, 2), np.float32))[0]
    assert probabilities.shape == (1, 2)
    with pytest.raises(UserError, match="a toyapp model, not a speech model"):
        models.resolve_model("speech", model_dir, "model_int8")
    with pytest.raises(UserError, match="a toyapp model, not a speech model"):
        models.resolve_model("speech", model_dir / "model_int8.tflite", "model_int8")
    with pytest.raises(UserError, match="no model_int8.onnx; run python -m apps.toyapp export"):
        models.resolve_model("toyapp", model_dir, "model_int8", backend="onnx")


def test_export_refuses_another_apps_model(toy_app, tmp_path, capsys):
    other = tmp_path / "other"
    other.mkdir()
    (other / "config.json").write_text(json.dumps({"app": "speech"}))
    assert registry.main("toyapp", ["export", "--model", str(other)]) == 2
    assert capsys.readouterr().err.strip() == f"error: {other}: a speech model, not a toyapp model"


def test_output_file_checks(tmp_path):
    with pytest.raises(UserError, match="is a folder"):
        models.check_output_file(tmp_path)
    with pytest.raises(UserError, match="expected a .mid file"):
        models.check_output_file(tmp_path / "x.wav", (".mid",))


def test_app_level_checks_fail_only_this_exports_files():
    from suite.app.shared_commands import app_check_failures

    checks = {"generation_check": {"step_int8.tflite": {"passed": False}, "step_int8.onnx": {"passed": True},
                                   "old.tflite": {"passed": False}},
              "int8_streamed": {"hospital_a": {"auroc_float": 0.9}}}
    exports = {"step_int8.tflite": {}, "step_int8.onnx": {}}
    assert app_check_failures(checks, exports) == ["step_int8.tflite"]
