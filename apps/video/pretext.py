"""Orientation pretext task for the frame CNN: predict the main object's principal axis in one frame.

Without it the CNN+GRU never learned the turning sense: trained on the motion classes alone, the frame
CNN keeps where the object is and how big it is, but not which way it points, and the rotation pair
stayed at chance (docs/apps/video.md). The renderer knows each frame's object mask, and the axis of
that silhouette, (cos 2a, sin 2a), is defined the same way for every shape. Pretrained on it, the
frame CNN carries orientation, and the GRU learns the turning sense from it.
"""
from __future__ import annotations

import numpy as np

from apps.video.classes import CLASSES
from apps.video.decode import resize, sample_indices
from apps.video.render import render_clip

PRETEXT_SEED_KEY = 7  # seeds the pretext clips apart from make-data's (which use the data seed alone)
PRETEXT_BATCH = 64
PRETEXT_LEARNING_RATE = 2e-3
PRETEXT_HIDDEN = 64


def principal_axis(mask: np.ndarray) -> np.ndarray:
    """(cos 2a, sin 2a) of a silhouette's principal axis, a counter-clockwise from the x axis on screen."""
    rows, columns = np.nonzero(mask)
    if len(rows) < 2:
        return np.zeros(2, np.float32)
    x, y = columns - columns.mean(), -(rows - rows.mean())  # y up, so angles turn as on screen
    xx, yy, xy = (x * x).mean(), (y * y).mean(), (x * y).mean()
    double_angle = np.arctan2(2.0 * xy, xx - yy)
    return np.array([np.cos(double_angle), np.sin(double_angle)], np.float32)


def pretext_frames(clips: int, num_frames: int, size: tuple[int, int], seed: int) -> tuple[np.ndarray, np.ndarray]:
    """uint8 frames [clips * num_frames, H, W, 3] of rendered clips over all classes, and their axes."""
    frames, axes = [], []
    for index, sequence in enumerate(np.random.SeedSequence([seed, PRETEXT_SEED_KEY]).spawn(clips)):
        clip = render_clip(CLASSES[index % len(CLASSES)], sequence, with_masks=True)
        for frame_index in sample_indices(len(clip.frames), num_frames):
            frames.append(resize(clip.frames[frame_index], size))
            axes.append(principal_axis(clip.masks[frame_index]))
    return np.stack(frames), np.stack(axes)


def mirrored(frames: np.ndarray, axes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The frames plus their left-right mirror images, whose axes turn the other way (sin 2a negated)."""
    return (np.concatenate([frames, frames[:, :, ::-1]]),
            np.concatenate([axes, axes * np.array([1.0, -1.0], np.float32)]))


def pretrain_frame_cnn(config, show_progress: bool = True) -> dict[str, list[np.ndarray]]:
    """Train the preset's frame CNN on the pretext task; returns its weights by layer name."""
    from apps.video.data import to_model_input
    from suite.keras import keras
    from suite.topologies.cnn_rnn import frame_features

    frames, axes = mirrored(*pretext_frames(config.orientation_clips, config.num_frames, config.size,
                                            config.data_seed))
    keras.utils.set_random_seed(config.seed)
    inputs = keras.Input((1, *config.size, 3), name="frame")
    features = keras.layers.Flatten(name="pretext_flatten")(frame_features(inputs, config.conv_filters,
                                                                          config.batch_norm))
    hidden = keras.layers.Dense(PRETEXT_HIDDEN, activation="relu", name="pretext_hidden")(features)
    model = keras.Model(inputs, keras.layers.Dense(2, name="pretext_axis")(hidden))
    model.compile(keras.optimizers.Adam(PRETEXT_LEARNING_RATE), "mse")
    model.fit(to_model_input(frames)[:, None], axes, batch_size=PRETEXT_BATCH, epochs=config.orientation_epochs,
              shuffle=True, verbose=2 if show_progress else 0)
    return {layer.name: layer.get_weights() for layer in model.layers
            if layer.name.startswith(("frame_conv_", "frame_norm_"))}


def load_frame_cnn(model, weights: dict[str, list[np.ndarray]]) -> None:
    """Copy pretrained frame-CNN weights into ``model``'s layers of the same names."""
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)
