"""Execute a notebook from notebooks/ at small sizes and return what it printed and drew."""
from __future__ import annotations

import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 240  # per cell; each notebook takes well under a minute on an idle 2-core machine


def execute_notebook(name: str, monkeypatch) -> tuple[str, int]:
    """Run ``notebooks/<name>`` with RNN_SUITE_SMALL=1; returns (printed text, number of PNG outputs)."""
    monkeypatch.setenv("RNN_SUITE_SMALL", "1")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    notebook = nbformat.read(ROOT / "notebooks" / name, as_version=4)
    NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])]
    printed = "".join(output.get("text", "") for output in outputs)
    images = sum("image/png" in output.get("data", {}) for output in outputs)
    return printed, images
