"""The vitals notebook runs end to end at small sizes (simulate, train a small model, compare with NEWS2)."""
from tests.notebooks import execute_notebook


def test_notebook_executes_at_small_sizes(monkeypatch):
    printed, images = execute_notebook("vitals.ipynb", monkeypatch)
    assert "hospital_a: model AUROC" in printed and "hospital_b: model AUROC" in printed
    assert "hospital_a: AUROC float" in printed and "int8 streamed" in printed   # the exported step model
    assert images == 1
