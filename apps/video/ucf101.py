"""A UCF101-style folder (one subfolder per class, holding .avi/.mp4 files) as file lists, labels
and train/validation/test splits, and as decoded arrays or a tf.data pipeline.

Splits: a ``splits.csv`` at the root (``path,split`` rows, written by prepare-data) decides; a file
it does not list, or a folder without one, is split by a deterministic rule on its name. The rule
hashes the name without UCF101's ``_cNN`` clip suffix, so all clips of one recording group
(``v_Class_g08_c01``, ``v_Class_g08_c02``, ...) land in the same split.
"""
from __future__ import annotations

import csv
import hashlib
import os
import re
import zlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from apps.video.decode import DEFAULT_NUM_FRAMES, DEFAULT_SIZE, load_clip_uint8
from suite.atomic import atomic_path
from suite.cli import progress
from suite.errors import UserError

VIDEO_SUFFIXES = (".avi", ".mp4")
SPLITS = ("train", "validation", "test")
SPLITS_FILE = "splits.csv"
# The name rule's shares, in tenths: 8 train, 1 validation, 1 test.
RULE_BUCKETS = {8: "validation", 9: "test"}
CLIP_SUFFIX = re.compile(r"_c\d+$")


@dataclass(frozen=True)
class VideoFolder:
    root: Path
    class_names: tuple[str, ...]
    files: tuple[Path, ...]
    labels: np.ndarray  # int32 index into class_names, one per file
    splits: tuple[str, ...]  # "train" | "validation" | "test", one per file

    def subset(self, split: str) -> "VideoFolder":
        """Only the files of ``split``."""
        if split not in SPLITS:
            raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
        keep = [index for index, name in enumerate(self.splits) if name == split]
        return VideoFolder(self.root, self.class_names, tuple(self.files[i] for i in keep),
                           self.labels[keep], tuple(self.splits[i] for i in keep))

    def counts(self) -> dict[str, dict[str, int]]:
        """{class: {split: number of files}}."""
        table = {name: {split: 0 for split in SPLITS} for name in self.class_names}
        for label, split in zip(self.labels, self.splits):
            table[self.class_names[label]][split] += 1
        return table


def scan_folder(root: str | os.PathLike, class_names: Sequence[str] | None = None) -> VideoFolder:
    """Read a UCF101-style folder. ``class_names`` fixes the label order (a trained model's classes);
    without it the order is the sorted subfolder names."""
    folder = Path(root)
    if not folder.is_dir():
        raise UserError(f"{root}: no such folder" if not folder.exists() else f"{root}: not a folder")
    found = {entry.name: sorted(file for file in entry.iterdir() if file.suffix.lower() in VIDEO_SUFFIXES)
             for entry in sorted(folder.iterdir()) if entry.is_dir() and not entry.name.startswith(".")}
    found = {name: files for name, files in found.items() if files}
    if not found:
        raise UserError(f"{root}: no class subfolders holding .avi or .mp4 files")
    if class_names is None:
        class_names = sorted(found)
    unknown = sorted(set(found) - set(class_names))
    if unknown:
        raise UserError(f"{root}: class folders {unknown} are not among the model's classes")
    listed = read_splits_file(folder)
    files, labels, splits = [], [], []
    for name, class_files in found.items():
        for file in class_files:
            relative = file.relative_to(folder).as_posix()
            files.append(file)
            labels.append(list(class_names).index(name))
            splits.append(listed.get(relative) or split_by_name(file.name))
    return VideoFolder(folder, tuple(class_names), tuple(files), np.asarray(labels, np.int32), tuple(splits))


def split_by_name(file_name: str) -> str:
    """The deterministic split of a file that no splits.csv lists (grouped UCF101-style)."""
    group = CLIP_SUFFIX.sub("", Path(file_name).stem)
    return RULE_BUCKETS.get(zlib.crc32(group.encode()) % 10, "train")


def split_by_index(index: int, count: int) -> str:
    """Stratified split of the ``index``-th of ``count`` generated clips of one class:
    the last tenth is test, the tenth before it validation (at least one each from 3 clips)."""
    held_out = max(1, round(count / 10)) if count >= 3 else 0
    if index >= count - held_out:
        return "test"
    if index >= count - 2 * held_out:
        return "validation"
    return "train"


def read_splits_file(folder: Path) -> dict[str, str]:
    path = folder / SPLITS_FILE
    if not path.exists():
        return {}
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    if rows and not {"path", "split"} <= set(rows[0]):
        raise UserError(f"{path}: needs the columns path,split")
    bad = sorted({row["split"] for row in rows} - set(SPLITS))
    if bad:
        raise UserError(f"{path}: unknown split names {bad}; use {list(SPLITS)}")
    return {row["path"]: row["split"] for row in rows}


def load_arrays(files: Sequence[Path], num_frames: int = DEFAULT_NUM_FRAMES, size: tuple[int, int] = DEFAULT_SIZE,
                cache_dir: str | os.PathLike | None = None, workers: int = 2, show_progress: bool = True) -> np.ndarray:
    """Decode all ``files`` in parallel threads (OpenCV releases the GIL) into uint8 [n, N, H, W, 3]."""
    def decode(file: Path) -> np.ndarray:
        return cached_clip(file, num_frames, size, cache_dir)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        clips = list(progress(pool.map(decode, files), "decoding", total=len(files), enabled=show_progress))
    return np.stack(clips) if clips else np.zeros((0, num_frames, *size, 3), np.uint8)


def cached_clip(file: str | os.PathLike, num_frames: int, size: tuple[int, int],
                cache_dir: str | os.PathLike | None) -> np.ndarray:
    """``load_clip_uint8``, memoised as .npy under ``cache_dir`` (keyed by path, size, mtime and shape)."""
    if cache_dir is None:
        return load_clip_uint8(file, num_frames, size)
    stat = Path(file).stat()
    key = f"{Path(file).resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{num_frames}|{size[0]}x{size[1]}"
    cache_file = Path(cache_dir) / f"{hashlib.sha1(key.encode()).hexdigest()}.npy"
    if cache_file.exists():
        return np.load(cache_file)
    clip = load_clip_uint8(file, num_frames, size)
    with atomic_path(cache_file) as temporary:
        np.save(temporary, clip)
    return clip


def tf_dataset(files: Sequence[Path], labels: np.ndarray, num_frames: int = DEFAULT_NUM_FRAMES,
               size: tuple[int, int] = DEFAULT_SIZE, batch_size: int = 16, shuffle: bool = False, seed: int = 0,
               cache_dir: str | os.PathLike | None = None):
    """tf.data of (frames float32 [batch, N, H, W, 3] in [0, 1], label int32), decoded in parallel.

    The file list is shuffled (each epoch) before decoding, so no large shuffle buffer of clips is needed.
    """
    from suite.keras import tf

    paths = np.asarray([str(file) for file in files])
    dataset = tf.data.Dataset.from_tensor_slices((paths, np.asarray(labels, np.int32)))
    if shuffle:
        dataset = dataset.shuffle(len(paths), seed=seed, reshuffle_each_iteration=True)

    def decode(path: bytes) -> np.ndarray:
        return cached_clip(path.decode(), num_frames, size, cache_dir)

    def decode_tensor(path, label):
        frames = tf.numpy_function(decode, [path], tf.uint8, stateful=False)
        frames = tf.ensure_shape(frames, (num_frames, *size, 3))
        return tf.cast(frames, tf.float32) / 255.0, label

    dataset = dataset.map(decode_tensor, num_parallel_calls=tf.data.AUTOTUNE, deterministic=not shuffle)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
