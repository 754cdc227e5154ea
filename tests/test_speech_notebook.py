"""The speech notebook runs end to end at small sizes (make-data, train tiny, evaluate, stream)."""
import os
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT_S = 240  # per cell; the whole notebook takes well under a minute on an idle 2-core machine


def test_notebook_executes_at_small_sizes():
    notebook = nbformat.read(ROOT / "notebooks" / "speech.ipynb", as_version=4)
    saved = {name: os.environ.get(name) for name in ("RNN_SUITE_SMALL", "PYTHONPATH")}
    os.environ["RNN_SUITE_SMALL"] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), saved["PYTHONPATH"]]))
    try:
        NotebookClient(notebook, timeout=TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    printed = "".join(output.get("text", "") for cell in notebook.cells if cell.cell_type == "code"
                      for output in cell.get("outputs", []))
    assert "held-out voices accuracy" in printed and "training voices accuracy" in printed
    accuracy = float(printed.split("training voices accuracy ")[1].split()[0])
    assert accuracy > 0.4  # chance 0.083
    images = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.get("outputs", [])
              if "image/png" in output.get("data", {})]
    assert len(images) == 1
