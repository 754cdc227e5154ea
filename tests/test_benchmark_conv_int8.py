"""benchmarks/conv_int8.py times the shipped video CNN block by block: the blocks chained must be that CNN."""
from pathlib import Path

import numpy as np

from suite.keras import keras
from suite.modeldir import load_model_dir
from tests.benchmark_scripts import load_benchmark

VIDEO_MODEL = Path(__file__).resolve().parents[1] / "saved_models" / "video"


def test_blocks_chained_equal_the_frame_cnn():
    bench = load_benchmark("conv_int8")
    model, config = load_model_dir(VIDEO_MODEL)
    clips = np.random.default_rng(0).uniform(-1, 1, (2, *config["model"]["input_shape"])).astype(np.float32)
    features = clips
    for index in range(len(config["model"]["conv_filters"])):
        features = bench.block_model(model, index, features.shape[1:]).predict(features, verbose=0)
    cnn = keras.Model(model.inputs, model.get_layer("frame_features").output)
    expected = cnn.predict(clips, verbose=0)
    assert features.shape[:2] == (2, config["num_frames"]) and features.shape[2:4] == (1, 1)
    np.testing.assert_allclose(features.reshape(expected.shape), expected, atol=1e-5)
