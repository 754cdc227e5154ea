"""Clip arrays for training and scoring: a UCF101-style folder -> (frames uint8, labels) per split.

Without ``--data``, ``train`` renders a folder with make-data into the cache
(``$RNN_SUITE_CACHE/video``, else ``~/.cache/rnn-suite/video``), keyed by renderer, clips per class
and seed; decoded clips are memoised there too.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from apps.video import make_data
from apps.video.classes import CLASSES, DIRECTION_PAIRS
from apps.video.dataset import VideoFolder, load_arrays, scan_folder
from suite.errors import UserError

CACHE_ENV = "RNN_SUITE_CACHE"
DATASET_MANIFEST = "dataset.json"  # written last by make-data: its presence means the folder is whole


def cache_dir() -> Path:
    base = os.environ.get(CACHE_ENV)
    return (Path(base) if base else Path.home() / ".cache" / "rnn-suite") / "video"


def generated_folder(clips_per_class: int, seed: int, renderer: str = "main", show_progress: bool = True) -> Path:
    """A make-data folder in the cache, rendered on first use (deterministic for a seed)."""
    folder = cache_dir() / f"generated-{renderer}-n{clips_per_class}-s{seed}"
    if not (folder / DATASET_MANIFEST).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        make_data.make_data(folder, clips_per_class, seed, renderer, overwrite=True, show_progress=show_progress)
    return folder


def scan_with_classes(root: str | os.PathLike, class_names: tuple[str, ...] | None = None) -> VideoFolder:
    """A folder whose labels follow ``class_names`` (a trained model's), else the motion classes' order
    when the folder holds exactly those, else its sorted subfolder names (a real UCF101 folder)."""
    folder = scan_folder(root, class_names)
    if class_names is None and set(folder.class_names) == set(CLASSES):
        folder = scan_folder(root, CLASSES)
    return folder


def split_arrays(folder: VideoFolder, split: str | None, num_frames: int, size: tuple[int, int],
                 show_progress: bool = True) -> tuple[np.ndarray, np.ndarray, tuple[Path, ...]]:
    """(frames uint8 [n, N, H, W, 3], labels int32 [n], files) of one split, or of all clips for None."""
    part = folder.subset(split) if split else folder
    if not part.files:
        raise UserError(f"{folder.root}: no clips in split {split!r}")
    frames = load_arrays(part.files, num_frames, size, cache_dir=cache_dir() / "frames", show_progress=show_progress)
    return frames, part.labels, part.files


def to_model_input(frames: np.ndarray) -> np.ndarray:
    """uint8 frames -> the model's float32 input in [-1, 1] (zero-centred inputs get the CNN training sooner)."""
    return frames.astype(np.float32) / 127.5 - 1.0


def unit_to_model_input(frames: np.ndarray) -> np.ndarray:
    """Frames as the decoder gives them (float32 in [0, 1]) -> the model's input in [-1, 1]."""
    return np.asarray(frames, np.float32) * 2.0 - 1.0


# Exact label maps of the motion classes under three symmetries: playing a clip backwards gives its
# partner class; a left-right mirror swaps left/right moves and the turning sense; an up-down mirror
# swaps up/down moves and the turning sense. Each doubles the training clips without changing a meaning.
SYMMETRY_SWAPS: dict[str, tuple[tuple[str, str], ...]] = {
    "reverse_time": DIRECTION_PAIRS,
    "mirror_left_right": (("move_left", "move_right"), ("rotate_cw", "rotate_ccw")),
    "mirror_up_down": (("move_up", "move_down"), ("rotate_cw", "rotate_ccw")),
}
SYMMETRY_AXES = {"reverse_time": 0, "mirror_left_right": 2, "mirror_up_down": 1}  # axis of one clip [N, H, W, 3]


def label_map(swaps: tuple[tuple[str, str], ...], class_names: tuple[str, ...]) -> np.ndarray:
    mapping = np.arange(len(class_names), dtype=np.int32)
    for first, second in swaps:
        a, b = class_names.index(first), class_names.index(second)
        mapping[a], mapping[b] = b, a
    return mapping


def augment_symmetries(class_names: tuple[str, ...], seed: int):
    """A tf.data map applying each symmetry with probability 1/2 (for the motion classes only)."""
    from suite.keras import tf

    maps = {name: tf.constant(label_map(swaps, class_names)) for name, swaps in SYMMETRY_SWAPS.items()}

    def apply(clip, label):
        for index, (name, mapping) in enumerate(maps.items()):
            flip = tf.random.uniform([], seed=seed + index)
            clip, label = tf.cond(flip < 0.5, lambda: (tf.reverse(clip, [SYMMETRY_AXES[name]]), tf.gather(mapping, label)),
                                  lambda: (clip, label))
        return clip, label

    return apply


def training_dataset(frames: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                     augment_classes: tuple[str, ...] | None = None):
    """tf.data of (model input, label) from in-memory uint8 arrays (converted per batch: 4x less memory).
    ``augment_classes`` (the motion classes) turns on the symmetry augmentation."""
    from suite.keras import tf

    dataset = tf.data.Dataset.from_tensor_slices((frames, labels.astype(np.int32)))
    if shuffle:
        dataset = dataset.shuffle(len(frames), seed=seed, reshuffle_each_iteration=True)
    if augment_classes is not None:
        dataset = dataset.map(augment_symmetries(augment_classes, seed))
    dataset = dataset.batch(batch_size)
    return dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y)).prefetch(2)
