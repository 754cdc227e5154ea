"""Orientation pretext task for the frame CNN: predict the main object's principal axis in one frame.

Without it the CNN+GRU never learned the turning sense: trained on the motion classes alone, the frame
CNN keeps where the object is and how big it is, but not which way it points, and the rotation pair
stayed at chance (docs/apps/video.md). The renderer knows each frame's object mask, and the axis of
that silhouette, (cos 2a, sin 2a), is defined the same way for every shape. Pretrained on it, the
frame CNN carries orientation, and the GRU learns the turning sense from it.
"""
from __future__ import annotations

import sys
from typing import Any

import numpy as np

from apps.video.classes import CLASSES
from apps.video.data import augment_appearance
from apps.video.decode import resize, sample_indices
from apps.video.render import render_clip
from suite.train_config import TrainConfig

PRETEXT_SEED_KEY = 7  # seeds the pretext clips apart from prepare-data's (which use the data seed alone)
PRETEXT_BATCH = 64
PRETEXT_LEARNING_RATE = 2e-3
PRETEXT_HIDDEN = 64
FRAME_CNN_LAYERS = ("frame_conv_", "frame_norm_")  # layer-name prefixes shared by the pretext model and cnn_rnn


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


def pretext_dataset(config: Any, show_progress: bool = True) -> Any:
    """tf.data of (one frame [1, H, W, 3] in [-1, 1], axis), shuffled each epoch, batched."""
    from suite.keras import tf

    if show_progress:
        print(f"rendering {config.orientation_clips} clips for the orientation pretext task", file=sys.stderr)
    frames, axes = mirrored(*pretext_frames(config.orientation_clips, config.num_frames, config.size,
                                            config.data_seed))
    dataset = tf.data.Dataset.from_tensor_slices((frames[:, None], axes))
    dataset = dataset.shuffle(len(frames), seed=config.seed, reshuffle_each_iteration=True)
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y))
    if config.augment_appearance:  # colours, contrast, noise and a crop leave the axis as it is
        dataset = dataset.map(augment_appearance(config.seed))
    return dataset.batch(PRETEXT_BATCH).prefetch(2)


def pretext_model(config: Any) -> Any:
    """The preset's frame CNN with a small head regressing the principal axis (cos 2a, sin 2a)."""
    from suite.keras import keras
    from suite.topologies.cnn_rnn import frame_features

    inputs = keras.Input((1, *config.size, 3), name="frame")
    features = keras.layers.Flatten(name="pretext_flatten")(frame_features(inputs, config.conv_filters,
                                                                          config.batch_norm))
    hidden = keras.layers.Dense(PRETEXT_HIDDEN, activation="relu", name="pretext_hidden")(features)
    return keras.Model(inputs, keras.layers.Dense(2, name="pretext_axis")(hidden))


def pretext_train_config(config: Any) -> TrainConfig:
    """Adam at PRETEXT_LEARNING_RATE, no clipping, constant rate, the preset's pretext epochs and seed."""
    return TrainConfig(epochs=config.orientation_epochs, batch_size=PRETEXT_BATCH, learning_rate=PRETEXT_LEARNING_RATE,
                       global_clipnorm=None, schedule="constant", seed=config.seed)


def frame_cnn_weights(model: Any) -> dict[str, list[np.ndarray]]:
    """The frame CNN's weights (conv and batch-norm layers) by layer name."""
    return {layer.name: layer.get_weights() for layer in model.layers
            if layer.name.startswith(FRAME_CNN_LAYERS)}


def load_frame_cnn(model, weights: dict[str, list[np.ndarray]]) -> None:
    """Copy pretrained frame-CNN weights into ``model``'s layers of the same names."""
    for name, values in weights.items():
        model.get_layer(name).set_weights(values)
