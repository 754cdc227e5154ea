"""The video model: presets, the step model equals the clip model, a tiny trained model above chance."""
import json

import numpy as np
import pytest

from apps.video import metrics
from apps.video.classes import CLASSES
from apps.video.model import model_kwargs
from apps.video.presets import PRESETS
from suite.app import load_app
from suite.app.shared_commands import resolve_preset
from suite.errors import UserError
from tests.video_tiny import TINY_CLASSES, TINY_CLIPS_PER_CLASS, tiny_workspace


@pytest.fixture(scope="module")
def workspace():
    return tiny_workspace()


def test_presets_build_rnn_and_baseline_with_the_same_cnn():
    from suite import build_model

    config = PRESETS["tiny"].config
    model = build_model("cnn_rnn", **model_kwargs(config, "rnn"))
    baseline = build_model("cnn_rnn", **model_kwargs(config, "average"))
    assert model.input_shape == (None, config.num_frames, config.frame_size, config.frame_size, 3)
    assert model.output_shape == baseline.output_shape == (None, len(CLASSES))
    assert model.get_layer("rnn_0_gru").cell.units == config.units
    with pytest.raises(ValueError):
        baseline.get_layer("rnn_0_gru")
    conv = [model.get_layer(f"frame_conv_{i}").layer.filters for i in range(len(config.conv_filters))]
    assert conv == list(config.conv_filters)
    # Same CNN: the baseline's parameters are the model's minus the GRU's, with a narrower head.
    gru = model.get_layer("rnn_0_gru").count_params()
    head_difference = (config.units - config.conv_filters[-1]) * len(CLASSES)
    assert model.count_params() - gru - head_difference == baseline.count_params()


def resolve(preset: str, overrides: list[str]):
    return resolve_preset(load_app("video"), preset, overrides)


def test_set_overrides_are_validated():
    assert resolve("tiny", ["units=24", "conv_filters=4,8"]).units == 24
    for bad in (["units=0"], ["nope=1"], ["epochs=0"], ["frame_size=4", "conv_filters=8,8,8"], ["schedule=sometimes"]):
        with pytest.raises(UserError):
            resolve("tiny", bad)


def test_step_model_equals_clip_model(workspace):
    from suite.modeldir import load_model_dir
    from suite.streaming import compiled_step, initial_states, step_model

    _, model_dir = workspace
    model, config = load_model_dir(model_dir)
    clips = np.random.default_rng(0).uniform(0, 1, (3, config["num_frames"], config["frame_size"],
                                                    config["frame_size"], 3)).astype(np.float32)
    expected = model.predict(clips, verbose=0)
    step = step_model(model)
    run = compiled_step(step)
    states = initial_states(step, len(clips))
    for t in range(clips.shape[1]):
        scores, states = run(clips[:, t:t + 1], states)
    np.testing.assert_allclose(np.asarray(scores).reshape(expected.shape), expected, atol=1e-5)


@pytest.mark.slow  # flaky at this size: one CI-like run stayed at chance (0.125); see issue 7's open note
def test_tiny_model_is_above_chance_and_baseline_is_stored(workspace):
    _, model_dir = workspace
    stored = json.loads((model_dir / "metrics.json").read_text())
    config = json.loads((model_dir / "config.json").read_text())
    assert config["app"] == "video" and config["topology"] == "cnn_rnn" and config["classes"] == list(TINY_CLASSES)
    assert config["baseline_model"]["temporal"] == "average" and config["model"]["temporal"] == "rnn"
    assert (model_dir / "baseline.keras").is_file()
    assert stored["heldout_clips"] == len(TINY_CLASSES) * TINY_CLIPS_PER_CLASS // 6  # one test clip in six
    # 4 classes: chance is 0.25.
    assert stored["heldout_accuracy"] >= 0.375
    assert set(stored["baseline"]["pair_accuracy"]) == {"move_left/move_right", "zoom_in/zoom_out"}


def test_pair_accuracy_by_hand():
    names = CLASSES
    left, right = names.index("move_left"), names.index("move_right")
    probabilities = np.full((4, len(names)), 0.01)
    probabilities[0, left], probabilities[0, right] = 0.6, 0.3  # left clip, left wins: right
    probabilities[1, left], probabilities[1, right] = 0.2, 0.5  # left clip, right wins: wrong
    probabilities[2, left], probabilities[2, right] = 0.1, 0.7  # right clip, right wins: right
    probabilities[3, left], probabilities[3, right] = 0.4, 0.4  # right clip, tie: wrong
    labels = np.array([left, left, right, right])
    assert metrics.pair_accuracy(labels, probabilities, names) == {"move_left/move_right": 0.5}
    summary = metrics.summarize(labels, probabilities, names)
    matrix = np.array(summary["confusion_matrix"])
    # argmax of the tie is the first of the two (left): 2 of 4 right.
    assert matrix[left, left] == 1 and matrix[left, right] == 1 and matrix[right, left] == 1 and matrix.sum() == 4
    assert (summary["accuracy"], summary["examples"]) == (0.5, 4)
    assert summary["per_class_accuracy"] == {"move_left": 0.5, "move_right": 0.5}


def test_symmetry_label_maps_by_hand():
    from apps.video.data import SYMMETRY_SWAPS, label_map

    index = {name: i for i, name in enumerate(CLASSES)}
    reverse = label_map(SYMMETRY_SWAPS["reverse_time"], CLASSES)
    mirror_lr = label_map(SYMMETRY_SWAPS["mirror_left_right"], CLASSES)
    mirror_ud = label_map(SYMMETRY_SWAPS["mirror_up_down"], CLASSES)
    assert reverse[index["zoom_in"]] == index["zoom_out"] and reverse[index["move_up"]] == index["move_down"]
    assert mirror_lr[index["move_left"]] == index["move_right"] and mirror_lr[index["move_up"]] == index["move_up"]
    assert mirror_lr[index["rotate_cw"]] == index["rotate_ccw"] and mirror_lr[index["zoom_in"]] == index["zoom_in"]
    assert mirror_ud[index["move_up"]] == index["move_down"] and mirror_ud[index["move_left"]] == index["move_left"]
    for mapping in (reverse, mirror_lr, mirror_ud):
        np.testing.assert_array_equal(mapping[mapping], np.arange(len(CLASSES)))  # each is its own inverse


def test_augmented_clip_moves_with_its_label():
    """A marker drawn at the first frame's top-left ends where each applied symmetry sends it."""
    from apps.video.data import training_dataset
    from suite.keras import tf

    tf.random.set_seed(0)
    frames = np.zeros((64, 4, 4, 4, 3), np.uint8)
    frames[:, 0, 0, 0, 0] = 255
    labels = np.full(64, CLASSES.index("move_left"), np.int32)
    clips, targets = next(iter(training_dataset(frames, labels, 64, shuffle=False, augment_classes=CLASSES)))
    for clip, target in zip(clips.numpy(), targets.numpy()):
        t, row, col = np.argwhere(clip[..., 0] > 0)[0]
        reversed_time, mirrored = t == 3, col == 3
        # move_left becomes move_right under exactly one of time reversal and the left-right mirror.
        assert CLASSES[target] == ("move_right" if reversed_time != mirrored else "move_left")
        assert row in (0, 3)


def test_shipped_model_is_the_small_preset_in_the_framework_layout():
    from suite.app import shipped_model_dir
    from suite.config import to_dict

    shipped = shipped_model_dir("video")
    config = json.loads((shipped / "config.json").read_text())
    small = PRESETS["small"].config
    assert (config["app"], config["task"], config["preset"]) == ("video", "classification", "small")
    assert config["settings"] == json.loads(json.dumps(to_dict(small)))  # the preset reproduces the model
    assert config["model"] == model_kwargs(small) and config["baseline_model"] == model_kwargs(small, "average")
    assert config["command"] == "python -m apps.video train --config small --out saved_models/video"
    exports = json.loads((shipped / "metrics.json").read_text())["exports"]
    assert sorted(exports) == ["model_int8.onnx", "model_int8.tflite", "step_int8.onnx", "step_int8.tflite"]
    for name, entry in exports.items():
        assert entry["passed"] and entry["agreement"] >= entry["threshold"]
        assert entry["bytes"] == (shipped / name).stat().st_size
