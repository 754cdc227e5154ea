"""Where an app's files live: shipped models (found from the package), caches and training runs.

Shipped models are found from the installed ``saved_models`` package, never from the working
directory, so every command works from any folder.
"""
from __future__ import annotations

import os
from pathlib import Path

# Generated data is cached per app under this folder (override with RNN_SUITE_CACHE).
CACHE_ENV = "RNN_SUITE_CACHE"
DEFAULT_CACHE = Path.home() / ".cache" / "rnn-suite"
# Training runs go under ./runs/<app>/<name>/ (nanoGPT-style out dir), never into saved_models/.
RUNS_ROOT = Path("runs")
# Where a run's BackupAndRestore checkpoint lives (suite.training.fit writes it).
BACKUP_DIR = "backup"


def shipped_model_dir(app: str) -> Path:
    """``saved_models/<app>`` as installed with the package."""
    import saved_models

    return Path(saved_models.__file__).resolve().parent / app


def shipped_models_root() -> Path:
    return shipped_model_dir("x").parent


def cache_dir(app: str, *parts: str) -> Path:
    """``$RNN_SUITE_CACHE/<app>/...``, else ``~/.cache/rnn-suite/<app>/...`` (not created here)."""
    return (Path(os.environ.get(CACHE_ENV, DEFAULT_CACHE)).expanduser() / app).joinpath(*parts)


def run_dir(app: str, name: str, root: str | os.PathLike = RUNS_ROOT) -> Path:
    """``runs/<app>/<name>``: checkpoints, history and the trained model directory of one run."""
    return Path(root) / app / name


def has_checkpoint(run_dir: str | os.PathLike) -> bool:
    """Whether a killed run left a checkpoint to resume from: a ``checkpoint`` file under a backup folder
    (a finished run deletes its checkpoint files but can leave their folders behind)."""
    root = Path(run_dir)
    return root.is_dir() and any(BACKUP_DIR in path.relative_to(root).parts for path in root.rglob("checkpoint"))


def is_inside_shipped(path: str | os.PathLike) -> bool:
    """Whether ``path`` is (inside) the installed ``saved_models`` folder."""
    target = Path(path).resolve()
    root = shipped_models_root()
    return target == root or root in target.parents
