"""The one way the ``make_<app>_notebook.py`` scripts write their notebook: build it from cells, run it at small
sizes (``RNN_SUITE_SMALL=1``, from the repository root) unless ``--no-execute``, and save it with its outputs,
so a notebook reads like a keras-io example."""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Sequence

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
CELL_TIMEOUT_S = 1200  # a training cell of a small run on a busy 2-core machine
KERNEL = {"display_name": "Python 3", "language": "python", "name": "python3"}


def cells_from_pairs(pairs: Sequence[tuple[str, str]]) -> list[nbformat.NotebookNode]:
    """``[("markdown", text), ("code", source), ...]`` as notebook cells."""
    return [new_markdown_cell(text) if kind == "markdown" else new_code_cell(text) for kind, text in pairs]


def write_notebook(name: str, cells: Sequence[nbformat.NotebookNode], description: str = "") -> Path:
    """``notebooks/<name>`` from ``cells``; the command line chooses ``--no-execute`` or ``--full`` size."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--no-execute", action="store_true", help="write the cells without running them")
    parser.add_argument("--full", action="store_true", help="run at full size instead of RNN_SUITE_SMALL=1")
    args = parser.parse_args()
    notebook = new_notebook(cells=list(cells), metadata={"kernelspec": KERNEL})
    if not args.no_execute:
        from nbclient import NotebookClient

        if not args.full:
            os.environ["RNN_SUITE_SMALL"] = "1"
        NotebookClient(notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                       resources={"metadata": {"path": str(ROOT)}}).execute()
    path = Path(__file__).with_name(name)
    nbformat.write(notebook, path)
    return path
