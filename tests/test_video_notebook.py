"""notebooks/video.ipynb runs end to end at small sizes (RNN_SUITE_SMALL=1)."""
import os
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parents[1]
TIMEOUT_S = 300  # per cell; the whole notebook takes about a minute on an idle 2-core machine


def test_notebook_executes(monkeypatch):
    from nbclient import NotebookClient

    monkeypatch.setenv("RNN_SUITE_SMALL", "1")
    monkeypatch.setenv("PYTHONPATH", str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    notebook = nbformat.read(REPO / "notebooks" / "video.ipynb", as_version=4)
    NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(REPO)}}).execute()
    outputs = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert "held-out accuracy" in outputs and "baseline" in outputs
    streamed = [line for line in outputs.splitlines() if line.split(" ")[0].isdigit()]
    assert len(streamed) >= 12  # one line per frame of a rendered clip (at least 12 frames)
