"""The trained-model directory: ``model.keras``, ``config.json``, ``history.csv``, ``metrics.json``.

``config.json`` holds enough to rebuild the model (``topology`` + ``model`` builder kwargs), plus
the app, task and preset names. Directories are written to a temporary path and renamed.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable

from suite.atomic import atomic_path, write_text
from suite.errors import UserError
from suite.keras import keras

MODEL_FILE = "model.keras"
CONFIG_FILE = "config.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"


def save_model_dir(path: str | os.PathLike, model: keras.Model, config: dict[str, Any],
                   metrics: dict[str, Any] | None = None, extra_files: dict[str, str | os.PathLike] | None = None,
                   write_extra: Callable[[Path], None] | None = None) -> Path:
    """Write a complete model directory atomically.

    ``extra_files`` maps names in the directory to files to copy in (history, plots);
    ``write_extra(tmp_dir)`` may write app-specific files (normalisation stats, vocabularies).
    """
    for key in ("topology", "model"):
        if key not in config:
            raise ValueError(f"config needs {key!r} to rebuild the model")
    with atomic_path(path, is_dir=True) as tmp:
        without_optimizer(model).save(tmp / MODEL_FILE)
        (tmp / CONFIG_FILE).write_text(json.dumps(config, indent=2, sort_keys=True))
        (tmp / METRICS_FILE).write_text(json.dumps(metrics or {}, indent=2, sort_keys=True))
        for name, source in (extra_files or {}).items():
            if Path(source).exists():
                shutil.copy(source, tmp / name)
        if write_extra is not None:
            write_extra(tmp)
    return Path(path)


def without_optimizer(model: keras.Model) -> keras.Model:
    """``model``, or a copy with its weights but no optimizer: nothing resumes training from model.keras (a run
    resumes from its backup, and loading uses compile=False), while Adam's two moments would triple the file."""
    if getattr(model, "optimizer", None) is None:
        return model
    copy = keras.models.clone_model(model)
    copy.set_weights(model.get_weights())
    return copy


def read_config(path: str | os.PathLike) -> dict[str, Any]:
    config_path = Path(path) / CONFIG_FILE
    if not config_path.is_file():
        raise UserError(f"{path}: not a model directory (no {CONFIG_FILE})")
    try:
        return json.loads(config_path.read_text())
    except json.JSONDecodeError as error:
        raise UserError(f"{config_path}: invalid JSON ({error.msg})") from None


def load_model_dir(path: str | os.PathLike) -> tuple[keras.Model, dict[str, Any]]:
    """Load ``(model, config)`` from a model directory."""
    config = read_config(path)
    model_path = Path(path) / MODEL_FILE
    if not model_path.is_file():
        raise UserError(f"{path}: no {MODEL_FILE}")
    return keras.models.load_model(model_path, compile=False), config


def read_metrics(path: str | os.PathLike) -> dict[str, Any]:
    metrics_path = Path(path) / METRICS_FILE
    return json.loads(metrics_path.read_text()) if metrics_path.is_file() else {}


def update_metrics(path: str | os.PathLike, **updates: Any) -> dict[str, Any]:
    """Merge ``updates`` into ``metrics.json`` (atomically)."""
    metrics = {**read_metrics(path), **updates}
    write_text(Path(path) / METRICS_FILE, json.dumps(metrics, indent=2, sort_keys=True))
    return metrics
