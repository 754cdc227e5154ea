"""The zoo: user-style models written with Keras 3 and with tf_keras (tests/export_zoo.py), each exported from a
bare .keras file to full-int8 TFLite (run in LiteRT and TFLite Micro) and int8 ONNX (ONNX Runtime)."""
from __future__ import annotations

import pytest

from tests.export_zoo import MIN_ZOO_AGREEMENT, ZOO, zoo_report

FAST_KINDS = ["conv2d"]  # in the default run (about 45 s per flavour): Conv2D, DepthwiseConv2D, pooling, LSTM


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("zoo")


def check(row: dict) -> None:
    for runtime in ("tflite", "onnx"):
        assert row[runtime]["exit"] == 0, (runtime, row)
        assert row[runtime]["agreement"] >= MIN_ZOO_AGREEMENT, (runtime, row)
        assert "WHILE" not in row[runtime]["ops"] and not {"Loop", "Scan"} & set(row[runtime]["ops"])
    assert row["tflite"]["keras_accuracy"] > 0.6  # trained: chance is 1/3
    assert row["tflm"]["agreement"] >= MIN_ZOO_AGREEMENT


@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
@pytest.mark.parametrize("kind", FAST_KINDS)
def test_zoo_sample_exports_to_every_runtime(flavour, kind, folder):
    check(zoo_report(flavour, kind, folder))


@pytest.mark.slow
@pytest.mark.parametrize("flavour", ["keras3", "tf_keras"])
@pytest.mark.parametrize("kind", [kind for kind in ZOO if kind not in FAST_KINDS])
def test_whole_zoo_exports_to_every_runtime(flavour, kind, folder):
    check(zoo_report(flavour, kind, folder))
