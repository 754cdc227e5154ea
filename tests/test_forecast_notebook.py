"""notebooks/forecast.ipynb runs end to end from the shipped int8 files, without TensorFlow."""
from tests.notebooks import execute_notebook


def test_notebook_forecasts_co2_from_the_int8_files(monkeypatch):
    printed, images = execute_notebook("forecast.ipynb", monkeypatch)
    scores = {line.split()[0]: float(line.split("mase ")[1].split()[0]) for line in printed.splitlines()
              if line.split() and line.split()[0] in ("model", "naive", "seasonal_naive", "statistical")}
    assert set(scores) == {"model", "naive", "seasonal_naive", "statistical"}
    assert scores["model"] < scores["naive"] and scores["model"] < scores["statistical"]
    assert printed.count(" ppm  [") == 8 and "TensorFlow imported: False" in printed
    assert images == 1
