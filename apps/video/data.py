"""The video app's data: render a UCF101-style folder of motion clips, and read one into arrays per split.

``prepare-data`` (``render_folder``) writes ``DIR/<class>/<class>_NNNNN.{mp4,avi}`` (even indices .mp4 with
mp4v or libx264 in turn, odd .avi with MJPG; qualities drawn per clip), ``splits.csv`` (path,split;
stratified per class) and ``dataset.json`` (how it was made);
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
# Codecs cycled by clip index in step with CONTAINERS (mp4v .mp4, MJPG .avi, libx264 .mp4, MJPG .avi), each
# with a quality range drawn per clip: MJPG's JPEG quality, libx264's constant rate factor.
CODEC_CYCLE = ("mp4v", "MJPG", "libx264", "MJPG")
CODEC_QUALITY = {"mp4v": None, "MJPG": (30, 95), "libx264": (18, 36)}
RENDERER_IDS = {"main": 0, "alt": 1, "independent": 2}  # part of each clip's seed: renderers never share a scene
# Bumped whenever a renderer changes, so a cached folder of an older version is not reused.
RENDER_VERSIONS = {"main": 2, "alt": 2, "independent": 1}
DEFAULT_CLIPS_PER_CLASS = 100


def clip_seed(seed: int, renderer: str, class_index: int, clip_index: int) -> np.random.SeedSequence:
    """Each clip's own seed: independent of rendering order and of the clip count."""
    return np.random.SeedSequence([seed, RENDERER_IDS[renderer], class_index, clip_index])


def clip_codec(seed: np.random.SeedSequence, index: int) -> tuple[str, int | None]:
    """(codec, quality) of the ``index``-th clip, the quality drawn from the clip's own seed."""
    codec = CODEC_CYCLE[index % len(CODEC_CYCLE)]
    bounds = CODEC_QUALITY[codec]
    if bounds is None:
        return codec, None
    child = np.random.default_rng(seed.spawn(1)[0])
    return codec, int(child.integers(bounds[0], bounds[1] + 1))


def render_any(label: str, seed: np.random.SeedSequence, renderer: str):
    """A clip of ``renderer``: the training renderers of render.py, or the independent one (evaluation only)."""
    if renderer == "independent":
        from apps.video.independent import render_independent

        return render_independent(label, seed)
    from apps.video.render import render_clip

    return render_clip(label, seed, renderer)


def clip_path(label: str, index: int) -> str:
    """Relative path of the ``index``-th clip of ``label``."""
    return f"{label}/{label}_{index:05d}{CONTAINERS[index % len(CONTAINERS)]}"


def check_render_target(out: str | os.PathLike, clips_per_class: int, renderer: str, overwrite: bool) -> Path:
    """The folder ``render_folder`` may write; a bad option is one line (UserError), before any work."""
    target = Path(out)
    if clips_per_class < 1:
        raise UserError(f"--clips-per-class: must be at least 1, not {clips_per_class}")
    if renderer not in RENDERER_IDS:
        raise UserError(f"--renderer: unknown renderer {renderer!r}; choose from {sorted(RENDERER_IDS)}")
    if target.exists() and not target.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UserError(f"{out}: folder exists and is not empty (pass --overwrite to replace it)")
    return target


def render_folder(out: str | os.PathLike, clips_per_class: int = DEFAULT_CLIPS_PER_CLASS, seed: int = 0,
                  renderer: str = "main", overwrite: bool = False, show_progress: bool = True) -> dict:
    """Render ``clips_per_class`` clips of every class into ``out``; returns a summary record."""
    from apps.video.encode import write_video

    target = check_render_target(out, clips_per_class, renderer, overwrite)
    started = time.perf_counter()
    jobs = [(label, index) for label in CLASSES for index in range(clips_per_class)]
    rows, frames = [], 0
    with atomic_path(target, is_dir=True) as temporary:
        for label in CLASSES:
            (temporary / label).mkdir()
        for label, index in progress(jobs, f"rendering ({renderer})", total=len(jobs), enabled=show_progress):
            sequence = clip_seed(seed, renderer, CLASSES.index(label), index)
            clip = render_any(label, sequence, renderer)
            relative = clip_path(label, index)
            write_video(temporary / relative, clip.frames, clip.fps, *clip_codec(sequence, index))
            rows.append({"path": relative, "split": split_by_index(index, clips_per_class)})
            frames += len(clip.frames)
        write_splits(temporary / SPLITS_FILE, rows)
        metadata = {"renderer": renderer, "seed": seed, "clips_per_class": clips_per_class,
                    "classes": list(CLASSES), "meanings": CLASS_MEANINGS, "containers": list(CONTAINERS),
                    "codecs": list(CODEC_CYCLE), "render_version": RENDER_VERSIONS[renderer]}
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
    folder = cache_dir(APP, f"generated-{renderer}-v{RENDER_VERSIONS[renderer]}-n{clips_per_class}-s{seed}")
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


# Photometric and framing augmentation, drawn once per clip (every frame alike, so no motion is added):
# brightness shift and contrast (model-input units), colour saturation, a channel permutation, pixel
# noise, and a crop of CROP_SCALE of the frame at a random place, resized back.
BRIGHTNESS = 0.25
CONTRAST = (0.6, 1.4)
SATURATION = (0.0, 1.5)
NOISE_STD = 0.06
CROP_SCALE = (0.8, 1.0)
CHANNEL_ORDERS = ((0, 1, 2), (0, 2, 1), (1, 0, 2), (1, 2, 0), (2, 0, 1), (2, 1, 0))


def augment_appearance(seed: int):
    """A tf.data map on (model input [N, H, W, 3] in [-1, 1], label): the appearance changes above."""
    from suite.keras import tf

    orders = tf.constant(CHANNEL_ORDERS, tf.int32)

    def uniform(low, high, index):
        return tf.random.uniform([], low, high, seed=seed + 100 + index)

    def apply(clip, label):
        height, width = clip.shape[1], clip.shape[2]
        scale = uniform(*CROP_SCALE, 0)
        top, left = uniform(0.0, 1.0 - scale, 1), uniform(0.0, 1.0 - scale, 2)
        box = tf.stack([top, left, top + scale, left + scale])[None]
        clip = tf.image.crop_and_resize(clip, tf.tile(box, [tf.shape(clip)[0], 1]), tf.range(tf.shape(clip)[0]),
                                        (height, width))
        order = tf.random.uniform([], 0, len(CHANNEL_ORDERS), tf.int32, seed=seed + 103)
        clip = tf.gather(clip, orders[order], axis=-1)
        grey = tf.reduce_mean(clip, axis=-1, keepdims=True)
        clip = grey + (clip - grey) * uniform(*SATURATION, 4)
        mean = tf.reduce_mean(clip)
        clip = (clip - mean) * uniform(*CONTRAST, 5) + mean + uniform(-BRIGHTNESS, BRIGHTNESS, 6)
        clip = clip + tf.random.normal(tf.shape(clip), seed=seed + 107) * uniform(0.0, NOISE_STD, 8)
        return tf.clip_by_value(clip, -1.0, 1.0), label

    return apply


def training_dataset(frames: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int = 0,
                     augment_classes: tuple[str, ...] | None = None, appearance: bool = False):
    """tf.data of (model input, label) from in-memory uint8 arrays (converted per clip: 4x less memory held).
    ``augment_classes`` (the motion classes) turns on the symmetry augmentation, ``appearance`` the
    photometric and framing one."""
    from suite.keras import tf

    dataset = tf.data.Dataset.from_tensor_slices((frames, labels.astype(np.int32)))
    if shuffle:
        dataset = dataset.shuffle(len(frames), seed=seed, reshuffle_each_iteration=True)
    if augment_classes is not None:
        dataset = dataset.map(augment_symmetries(augment_classes, seed))
    dataset = dataset.map(lambda x, y: (tf.cast(x, tf.float32) / 127.5 - 1.0, y))
    if appearance:
        dataset = dataset.map(augment_appearance(seed))
    return dataset.batch(batch_size).prefetch(2)
