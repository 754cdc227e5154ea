"""notebooks/music.ipynb runs end to end at small sizes (RNN_SUITE_SMALL=1: 40 tunes, 1 epoch)."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 240  # per cell; the whole notebook takes about 30 s of CPU


def test_music_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_SUITE_SMALL", "1")
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))  # parses its 40 tunes afresh
    notebook = nbformat.read(REPO / "notebooks" / "music.ipynb", as_version=4)
    NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert "model NLL" in outputs and "5-gram" in outputs
    assert "76 events," in outputs  # three quarter notes (12 steps) plus 4 bars of 16 steps
    assert list((tmp_path / "cache" / "music").glob("folk-limit40-*.npz"))
