"""A tiny rendered clip folder and a tiny trained video model, built once per test process."""
from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

import numpy as np

from apps.video.classes import CLASSES
from apps.video.data import clip_path, write_splits
from apps.video.encode import write_video
from apps.video.render import render_clip
from apps.video.ucf101 import SPLITS_FILE

# Small frames and few of them: rendering and decoding stay well under a second per class.
TINY_FRAME_SIZE = (48, 36)  # (width, height)
TINY_CLIP_FRAMES = 12
SPLIT_PATTERN = ("train", "train", "train", "train", "validation", "test")  # per class, by clip index
# Two direction pairs: a seconds-long training learns the moves and the zooms (measured 0.44 held out, chance
# 0.25; all 8 classes stay at chance for a model this small trained this briefly).
TINY_CLASSES = ("move_left", "move_right", "zoom_in", "zoom_out")
TINY_CLIPS_PER_CLASS = 24


def render_folder(root: Path, clips_per_class: int, seed: int, renderer: str = "main",
                  classes: tuple[str, ...] = CLASSES) -> Path:
    """A UCF101-style folder of short clips (both containers), with splits.csv cycling SPLIT_PATTERN."""
    rows = []
    for class_index, label in enumerate(classes):
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(clips_per_class):
            clip = render_clip(label, np.random.SeedSequence([seed, class_index, index]), renderer,
                               size=TINY_FRAME_SIZE, num_frames=TINY_CLIP_FRAMES)
            relative = clip_path(label, index)
            write_video(root / relative, clip.frames, clip.fps)
            rows.append({"path": relative, "split": SPLIT_PATTERN[index % len(SPLIT_PATTERN)]})
    write_splits(root / SPLITS_FILE, rows)
    return root


@functools.lru_cache(maxsize=1)
def tiny_workspace() -> tuple[Path, Path]:
    """(clip folder, trained model directory) under a temporary folder that lives for the process."""
    from suite.app import main

    root = Path(tempfile.mkdtemp(prefix="video-tiny-"))
    os.environ["RNN_SUITE_CACHE"] = str(root / "cache")  # decoded-clip cache stays out of the home folder
    folder = render_folder(root / "clips", TINY_CLIPS_PER_CLASS, seed=11, classes=TINY_CLASSES)
    model_dir = root / "model"
    argv = ["train", "--config", "tiny", "--data", str(folder), "--runs", str(root / "runs"), "--out", str(model_dir),
            "--json"]
    if main("video", argv) != 0:
        raise RuntimeError("training the tiny video model failed")
    return folder, model_dir
