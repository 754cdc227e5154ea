"""Walk the app registry: for every app, a tiny train, the shared export, and an inference command run
from the exported int8 files with TensorFlow and every other train-only package unimportable (the device
install, `pip install .`, as on a Raspberry Pi)."""
from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Callable

import pytest

import apps

from suite.app import app_names, load_app
from tests.conftest import device_env

STEP_TIMEOUT_S = 600   # one subprocess: generous for a loaded 2-core CI machine
# Agreement of a tiny (barely trained) model's int8 files with Keras; a broken export is near chance.
MIN_TINY_AGREEMENT = 0.9
MODEL = Path("runs") / "{app}" / "tiny" / "model"


def _tracks_keras(record: dict) -> bool:
    """A tiny classifier near chance has near-ties that int8 may flip, so its strict parity gate may fail
    (exit 2; the gates are tested on trained models in tests/test_export_*); its argmax must still agree
    with Keras on most samples. Every other task passes its gate."""
    near_tie = record["task"] == "classification" and record["agreement"] >= MIN_TINY_AGREEMENT
    return record["passed"] or near_tie


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=STEP_TIMEOUT_S)


def _first_file(folder: Path, pattern: str) -> Path:
    found = sorted(folder.rglob(pattern))
    assert found, f"prepare-data wrote no {pattern} under {folder}"
    return found[0]


def _speech(tmp: Path, model: Path) -> list[str]:
    assert _run(["apps.speech", "prepare-data", "--out", "clips", "--per-word", "1", "--seed", "3"], tmp).returncode == 0
    return ["apps.speech", "predict", str(_first_file(tmp / "clips" / "yes", "*.wav")), "--model", str(model)]


def _video(tmp: Path, model: Path) -> list[str]:
    made = _run(["apps.video", "prepare-data", "--out", "clips", "--clips-per-class", "1", "--seed", "3"], tmp)
    assert made.returncode == 0, made.stderr[-2000:]
    clip = sorted(p for p in (tmp / "clips").rglob("*") if p.suffix in (".mp4", ".avi"))[0]
    return ["apps.video", "predict", str(clip), "--model", str(model)]


def _vitals(tmp: Path, model: Path) -> list[str]:
    made = _run(["apps.vitals", "prepare-data", "--out", "stays", "--patients", "2", "--seed", "3"], tmp)
    assert made.returncode == 0, made.stderr[-2000:]
    return ["apps.vitals", "score", str(_first_file(tmp / "stays", "*.psv")), "--model", str(model)]


def _forecast(tmp: Path, model: Path) -> list[str]:
    made = _run(["apps.forecast", "prepare-data", "--out", "series"], tmp)
    assert made.returncode == 0, made.stderr[-2000:]
    return ["apps.forecast", "forecast", str(_first_file(tmp / "series", "*.csv")), "--horizon", "6", "--model", str(model)]


def _g2p(tmp: Path, model: Path) -> list[str]:
    return ["apps.g2p", "predict", "hello", "world", "--model", str(model)]


def _music(tmp: Path, model: Path) -> list[str]:
    return ["apps.music", "generate", "--out", "melody.mid", "--bars", "2", "--seed", "1", "--model", str(model)]


# app -> fn(tmp folder, exported model dir) -> the inference command (run with TensorFlow unimportable)
INFERENCE: dict[str, Callable[[Path, Path], list[str]]] = {
    "forecast": _forecast, "g2p": _g2p, "music": _music, "speech": _speech, "video": _video, "vitals": _vitals,
}


# The same file names for the same roles in every app (docs/adding-an-app.md).
LAYOUT = ("__main__.py", "app.py", "presets.py", "data.py", "model.py", "training.py", "calibration.py",
          "commands/__init__.py")
MAIN_LINES = ["from suite.app import main", 'raise SystemExit(main("{app}"))']


@pytest.mark.parametrize("app", app_names())
def test_every_app_has_the_layout(app):
    folder = Path(apps.__file__).parent / app
    assert [name for name in LAYOUT if not (folder / name).is_file()] == []
    main_lines = [line for line in (folder / "__main__.py").read_text().splitlines() if line.strip()]
    assert main_lines[-2:] == [line.format(app=app) for line in MAIN_LINES]
    spec = load_app(app)
    assert spec.name == app and spec.default_preset in spec.presets
    assert all(preset.description for preset in spec.presets.values())


def test_every_app_is_walked():
    """A new app must add its inference command here (and so pass the walk below)."""
    assert sorted(INFERENCE) == app_names()


@pytest.mark.parametrize("app", sorted(INFERENCE))
def test_tiny_train_export_and_device_inference(app, tmp_path, repo_on_pythonpath):
    assert "tiny" in load_app(app).presets, f"apps/{app}/presets.py needs a 'tiny' preset for this walk"
    model = Path(str(MODEL).format(app=app))
    started = time.monotonic()
    trained = _run([f"apps.{app}", "train", "--config", "tiny", "--json"], tmp_path)
    assert trained.returncode == 0, trained.stderr[-3000:]
    config = json.loads((tmp_path / model / "config.json").read_text())
    assert (config["app"], config["preset"]) == (app, "tiny")

    exported = _run([f"apps.{app}", "export", "--model", str(model), "--json"], tmp_path)
    records = [json.loads(line) for line in exported.stdout.splitlines() if line.startswith("{")]
    assert records, exported.stderr[-3000:]
    assert exported.returncode in (0, 2), exported.stderr[-3000:]
    assert all(_tracks_keras(record) for record in records), records
    assert {record["file"] for record in records} <= {p.name for p in (tmp_path / model).iterdir()}

    command = INFERENCE[app](tmp_path, model)
    result = _run(command + ["--json"], tmp_path, env=device_env(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, result.stdout[-2000:]
    print(f"{app}: tiny train + export + device inference in {time.monotonic() - started:.0f} s")
