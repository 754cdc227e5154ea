"""benchmarks/forecast.py measures one monitor update per value with the shipped step files."""
from suite.app import shipped_model_dir
from tests.benchmark_scripts import load_benchmark


def test_measure_streams_every_value_through_the_step_model():
    benchmark = load_benchmark("forecast")
    row = benchmark.measure(shipped_model_dir("forecast"), "onnx", "elec_equip", values=100)
    assert (row["backend"], row["series"], row["values"]) == ("onnx", "elec_equip", 100)
    assert 0 < row["step_us"] <= row["update_us"] and row["file_bytes"] > 1000
