"""Calibration and held-out clips for ``export``: rendered on the fly, deterministic, no files needed.

Each split has its own seed, apart from prepare-data's, so held-out clips are never training clips.
Clips go through the same frame sampling and resizing as decoded files (without the codec).
"""
from __future__ import annotations

import functools

import numpy as np

from apps.video.classes import CLASSES
from apps.video.data import to_model_input
from apps.video.decode import resize, sample_indices
from apps.video.render import render_clip
from export.calibration import register_dataset
from suite.errors import UserError

# Seeds per split; make-data uses small seeds (0 by default), these stay clear of them.
SPLIT_SEEDS = {"calibration": 9101, "heldout": 9102, "train": 9103}


@functools.lru_cache(maxsize=8)
def rendered_clips(count: int, seed: int, num_frames: int, frame_size: int,
                   renderer: str = "main") -> tuple[np.ndarray, np.ndarray]:
    """``count`` clips cycling over the classes: (model input float32 [count, N, S, S, 3], labels int32)."""
    frames, labels = [], []
    for index in range(count):
        label = index % len(CLASSES)
        clip = render_clip(CLASSES[label], np.random.SeedSequence([seed, label, index]), renderer)
        picked = clip.frames[sample_indices(len(clip.frames), num_frames)]
        frames.append(np.stack([resize(frame, (frame_size, frame_size)) for frame in picked]))
        labels.append(label)
    return to_model_input(np.stack(frames)), np.asarray(labels, np.int32)


@register_dataset("video")
def video_dataset(config: dict, split: str, count: int) -> tuple[np.ndarray, np.ndarray]:
    if split not in SPLIT_SEEDS:
        raise UserError(f"video calibration: unknown split {split!r}; expected one of {sorted(SPLIT_SEEDS)}")
    classes = tuple(config.get("classes", CLASSES))
    if classes != CLASSES:
        raise UserError("video calibration renders the 8 motion classes; this model has other classes "
                        "(pass --calibration-data FILE.npz)")
    return rendered_clips(int(count), SPLIT_SEEDS[split], int(config["num_frames"]), int(config["frame_size"]))
