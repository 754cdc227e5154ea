"""The video app's data: render a UCF101-style folder of motion clips, and read one into arrays per split.

``prepare-data`` (``render_folder``) writes ``DIR/<class>/<class>_NNNNN.{mp4,avi}`` (even indices mp4/mp4v,
odd avi/MJPG), ``splits.csv`` (path,split; stratified per class) and ``dataset.json`` (how it was made);
the folder is built under a temporary name and renamed at the end, so it is complete or absent.
Without ``--data``, ``train`` renders such a folder into the cache (``suite.app.cache_dir("video")``),
keyed by renderer, clips per class and seed; decoded clips are memoised there too.
"""
from __future__ import annotations

import csv
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from apps.video.classes import CLASS_MEANINGS, CLASSES, DIRECTION_PAIRS
from apps.video.ucf101 import SPLITS_FILE, VideoFolder, load_arrays, scan_folder, split_by_index
from suite.app import cache_dir
from suite.atomic import atomic_path
from suite.cli import progress
from suite.errors import UserError

APP = "video"
DATASET_MANIFEST = "dataset.json"  # written last by prepare-data: its presence means the folder is whole
CONTAINERS = (".mp4", ".avi")  # alternated by clip index, so both containers are in every class and split
RENDERER_IDS = {"main": 0, "alt": 1}  # part of each clip's seed: the renderers never share a scene
DEFAULT_CLIPS_PER_CLASS = 100


def clip_seed(seed: int, renderer: str, class_index: int, clip_index: int) -> np.random.SeedSequence:
    """Each clip's own seed: independent of rendering order and of the clip count."""
    return np.random.SeedSequence([seed, RENDERER_IDS[renderer], class_index, clip_index])


def clip_path(label: str, index: int) -> str:
    """Relative path of the ``index``-th clip of ``label``."""
    return f"{label}/{label}_{index:05d}{CONTAINERS[index % len(CONTAINERS)]}"


def check_render_target(out: str | os.PathLike, clips_per_class: int, renderer: str, overwrite: bool) -> Path:
    """The folder ``render_folder`` may write; a bad option is one line (UserError), before any work."""
    from apps.video.render import RENDERERS

    target = Path(out)
    if clips_per_class < 1:
        raise UserError(f"--clips-per-class: must be at least 1, not {clips_per_class}")
    if renderer not in RENDERERS:
        raise UserError(f"--renderer: unknown renderer {renderer!r}; choose from {sorted(RENDERERS)}")
    if target.exists() and not target.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UserError(f"{out}: folder exists and is not empty (pass --overwrite to replace it)")
    return target


def render_folder(out: str | os.PathLike, clips_per_class: int = DEFAULT_CLIPS_PER_CLASS, seed: int = 0,
                  renderer: str = "main", overwrite: bool = False, show_progress: bool = True) -> dict:
    """Render ``clips_per_class`` clips of every class into ``out``; returns a summary record."""
    from apps.video.encode import write_video
    from apps.video.render import render_clip

    target = check_render_target(out, clips_per_class, renderer, overwrite)
    started = time.perf_counter()
    jobs = [(label, index) for label in CLASSES for index in range(clips_per_class)]
    rows, frames = [], 0
    with atomic_path(target, is_dir=True) as temporary:
        for label in CLASSES:
            (temporary / label).mkdir()
        for label, index in progress(jobs, f"rendering ({renderer})", total=len(jobs), enabled=show_progress):
            clip = render_clip(label, clip_seed(seed, renderer, CLASSES.index(label), index), renderer)
            relative = clip_path(label, index)
            write_video(temporary / relative, clip.frames, clip.fps)
            rows.append({"path": relative, "split": split_by_index(index, clips_per_class)})
            frames += len(clip.frames)
        write_splits(temporary / SPLITS_FILE, rows)
        metadata = {"renderer": renderer, "seed": seed, "clips_per_class": clips_per_class,
                    "classes": list(CLASSES), "meanings": CLASS_MEANINGS, "containers": list(CONTAINERS)}
        (temporary / DATASET_MANIFEST).write_text(json.dumps(metadata, indent=2) + "\n")
    seconds = time.perf_counter() - started
    return {"out": str(target), "renderer": renderer, "clips": len(jobs), "classes": len(CLASSES),
            "frames": frames, "seconds": round(seconds, 2), "clips_per_second": round(len(jobs) / seconds, 1)}


def write_splits(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["path", "split"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())


def generated_folder(clips_per_class: int, seed: int, renderer: str = "main", show_progress: bool = True) -> Path:
    """A rendered folder in the cache, rendered on first use (deterministic for a seed)."""
    folder = cache_dir(APP, f"generated-{renderer}-n{clips_per_class}-s{seed}")
    if not (folder / DATASET_MANIFEST).is_file():
        folder.parent.mkdir(parents=True, exist_ok=True)
        render_folder(folder, clips_per_class, seed, renderer, overwrite=True, show_progress=show_progress)
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
    frames = load_arrays(part.files, num_frames, size, cache_dir=cache_dir(APP, "frames"), show_progress=show_progress)
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
