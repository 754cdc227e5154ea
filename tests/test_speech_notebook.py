"""The speech notebook runs end to end at small sizes (prepare-data, train tiny, evaluate, stream)."""
from tests.notebooks import execute_notebook


def test_notebook_executes_at_small_sizes(monkeypatch):
    printed, images = execute_notebook("speech.ipynb", monkeypatch)
    assert "held-out voices accuracy" in printed and "training voices accuracy" in printed
    accuracy = float(printed.split("training voices accuracy ")[1].split()[0])
    assert accuracy > 0.4  # chance 0.083
    assert images == 2  # the confusion matrix and the stream timeline
