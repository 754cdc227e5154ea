"""The orientation pretext task: exact axis encodings, mirrored targets, rendered frames, and
pretrained frame-CNN weights landing in both the CNN+GRU and the baseline."""
import dataclasses

import numpy as np
import pytest

from apps.video import pretext
from apps.video.model import build, model_kwargs
from apps.video.presets import PRESETS
from suite.app import load_app
from suite.app.shared_commands import resolve_preset
from suite.errors import UserError


def _bar(angle_degrees: float, size: int = 41, length: int = 15) -> np.ndarray:
    """A one-pixel bar through the centre, ``angle_degrees`` counter-clockwise on screen."""
    mask = np.zeros((size, size), bool)
    theta = np.deg2rad(angle_degrees)
    for t in np.linspace(-length, length, 200):
        mask[int(round(size // 2 - t * np.sin(theta))), int(round(size // 2 + t * np.cos(theta)))] = True
    return mask


@pytest.mark.parametrize("angle,expected", [(0, (1, 0)), (90, (-1, 0)), (45, (0, 1)), (135, (0, -1)),
                                            (180, (1, 0))])
def test_principal_axis_is_cos_sin_of_twice_the_angle(angle, expected):
    np.testing.assert_allclose(pretext.principal_axis(_bar(angle)), expected, atol=1e-6)


def test_empty_mask_has_no_axis():
    np.testing.assert_array_equal(pretext.principal_axis(np.zeros((8, 8), bool)), [0.0, 0.0])


def test_mirrored_frames_turn_the_other_way():
    frames = np.arange(2 * 4 * 5 * 3, dtype=np.uint8).reshape(2, 4, 5, 3)
    axes = np.array([[0.6, 0.8], [-1.0, 0.0]], np.float32)
    all_frames, all_axes = pretext.mirrored(frames, axes)
    np.testing.assert_array_equal(all_frames[2:], frames[:, :, ::-1])
    np.testing.assert_allclose(all_axes[2:], [[0.6, -0.8], [-1.0, 0.0]], atol=1e-7)
    # Mirroring a 30-degree bar gives a 150-degree bar: the encoding agrees.
    np.testing.assert_allclose(pretext.principal_axis(_bar(30)[:, ::-1]), pretext.principal_axis(_bar(150)),
                               atol=1e-6)


def test_pretext_frames_are_deterministic_unit_axes():
    frames, axes = pretext.pretext_frames(clips=3, num_frames=4, size=(24, 24), seed=5)
    assert frames.shape == (12, 24, 24, 3) and frames.dtype == np.uint8 and axes.shape == (12, 2)
    np.testing.assert_allclose(np.linalg.norm(axes, axis=1), 1.0, atol=1e-5)
    again, again_axes = pretext.pretext_frames(clips=3, num_frames=4, size=(24, 24), seed=5)
    np.testing.assert_array_equal(frames, again)
    np.testing.assert_array_equal(axes, again_axes)


def test_pretext_dataset_pairs_frames_with_their_axes():
    config = dataclasses.replace(PRESETS["tiny"].config, orientation_clips=2)
    frames, axes = next(iter(pretext.pretext_dataset(config, show_progress=False).unbatch().batch(1000)))
    expected_frames, expected_axes = pretext.mirrored(*pretext.pretext_frames(2, config.num_frames, config.size,
                                                                                config.data_seed))
    assert frames.shape == (2 * 2 * config.num_frames, 1, *config.size, 3)
    # Shuffled: every model-input frame maps back to a rendered frame and carries that frame's axis.
    as_uint8 = np.round((np.asarray(frames)[:, 0] + 1.0) * 127.5).astype(np.uint8)
    lookup = {frame.tobytes(): axis for frame, axis in zip(expected_frames, expected_axes)}
    assert sorted(frame.tobytes() for frame in as_uint8) == sorted(frame.tobytes() for frame in expected_frames)
    for frame, axis in zip(as_uint8, np.asarray(axes)):
        np.testing.assert_allclose(axis, lookup[frame.tobytes()], atol=1e-6)


def test_pretrained_cnn_is_loaded_into_model_and_baseline():
    config = dataclasses.replace(PRESETS["tiny"].config, orientation_clips=2, orientation_epochs=1)
    weights = pretext.frame_cnn_weights(pretext.pretext_model(config))
    assert sorted(weights) == [f"frame_conv_{i}" for i in range(len(config.conv_filters))]
    for temporal in ("rnn", "average"):
        model = build(model_kwargs(config, temporal), weights)
        for name, values in weights.items():
            for loaded, expected in zip(model.get_layer(name).get_weights(), values):
                np.testing.assert_array_equal(loaded, expected)


def resolve(preset: str, overrides: list[str]):
    return resolve_preset(load_app("video"), preset, overrides)


def test_orientation_settings_are_validated():
    assert resolve("tiny", ["orientation_clips=40"]).orientation_clips == 40
    with pytest.raises(UserError, match="orientation_epochs"):
        resolve("tiny", ["orientation_epochs=-1"])
