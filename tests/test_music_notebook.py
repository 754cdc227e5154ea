"""notebooks/music.ipynb runs end to end at small sizes (RNN_SUITE_SMALL=1: 40 tunes, 1 epoch) and is saved
with the outputs of that run."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat

from tests.notebooks import execute_notebook

REPO = Path(__file__).resolve().parents[1]


def test_music_notebook_is_saved_with_its_outputs():
    notebook = nbformat.read(REPO / "notebooks" / "music.ipynb", as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.get("execution_count") for cell in code)  # every cell was run, in order
    assert [cell.execution_count for cell in code] == list(range(1, len(code) + 1))
    printed = "".join(output.get("text", "") for cell in code for output in cell.get("outputs", []))
    assert "model NLL" in printed and "5-gram" in printed


def test_music_notebook_executes(tmp_path, monkeypatch):
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))  # parses its 40 tunes afresh
    printed, images = execute_notebook("music.ipynb", monkeypatch)
    assert "model NLL" in printed and "5-gram" in printed
    generated = next(json.loads(line) for line in printed.splitlines() if line.startswith('{"midi"'))
    assert (generated["events"], generated["primer_events"], generated["seed"]) == (12 + 4 * 16, 12, 1)
    assert images == 2  # the training curve and the piano roll
    assert list((tmp_path / "cache" / "music").glob("folk-limit40-*.npz"))
