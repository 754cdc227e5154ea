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
