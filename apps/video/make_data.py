"""``make-data``: render a UCF101-style folder of motion clips (no video set can be downloaded here).

Layout: ``DIR/<class>/<class>_NNNNN.{mp4,avi}`` (even indices mp4/mp4v, odd avi/MJPG), plus
``splits.csv`` (path,split; stratified per class) and ``dataset.json`` (how it was made). The
folder is built under a temporary name and renamed at the end, so it is complete or absent.
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import time
from pathlib import Path

import numpy as np

from apps.video.classes import CLASS_MEANINGS, CLASSES
from apps.video.cli import app
from apps.video.dataset import SPLITS_FILE, split_by_index
from apps.video.encode import write_video
from apps.video.render import RENDERERS, render_clip
from suite.atomic import atomic_path
from suite.cli import add_json_option, emit, progress
from suite.errors import UserError

CONTAINERS = (".mp4", ".avi")  # alternated by clip index, so both containers are in every class and split
RENDERER_IDS = {"main": 0, "alt": 1}  # part of each clip's seed: the renderers never share a scene
DEFAULT_CLIPS_PER_CLASS = 100


def clip_seed(seed: int, renderer: str, class_index: int, clip_index: int) -> np.random.SeedSequence:
    """Each clip's own seed: independent of rendering order and of the clip count."""
    return np.random.SeedSequence([seed, RENDERER_IDS[renderer], class_index, clip_index])


def clip_path(label: str, index: int) -> str:
    """Relative path of the ``index``-th clip of ``label``."""
    return f"{label}/{label}_{index:05d}{CONTAINERS[index % len(CONTAINERS)]}"


def make_data(out: str | os.PathLike, clips_per_class: int = DEFAULT_CLIPS_PER_CLASS, seed: int = 0,
              renderer: str = "main", overwrite: bool = False, show_progress: bool = True) -> dict:
    """Render ``clips_per_class`` clips of every class into ``out``; returns a summary record."""
    target = Path(out)
    if clips_per_class < 1:
        raise UserError(f"--clips-per-class: must be at least 1, not {clips_per_class}")
    if renderer not in RENDERERS:
        raise UserError(f"--renderer: unknown renderer {renderer!r}; choose from {sorted(RENDERERS)}")
    if target.exists() and not target.is_dir():
        raise UserError(f"{out}: exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise UserError(f"{out}: folder exists and is not empty (pass --overwrite to replace it)")
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
        (temporary / "dataset.json").write_text(json.dumps(metadata, indent=2) + "\n")
    seconds = time.perf_counter() - started
    return {"out": str(target), "renderer": renderer, "clips": len(jobs), "classes": len(CLASSES),
            "frames": frames, "seconds": round(seconds, 2), "clips_per_second": round(len(jobs) / seconds, 1)}


def write_splits(path: Path, rows: list[dict[str, str]]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=["path", "split"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue())


def make_data_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, help="folder to create (class subfolders of .mp4/.avi clips)")
    parser.add_argument("--clips-per-class", type=int, default=DEFAULT_CLIPS_PER_CLASS, help="clips rendered per class")
    parser.add_argument("--seed", type=int, default=0, help="random seed; the same seed renders the same clips")
    parser.add_argument("--renderer", default="main", choices=sorted(RENDERERS),
                        help="main (OpenCV) or alt (a different renderer, for the generalisation check)")
    parser.add_argument("--overwrite", action="store_true", help="replace --out if it already holds files")
    add_json_option(parser)


@app.command("make-data", help="render a UCF101-style folder of motion clips", arguments=make_data_arguments)
def make_data_command(args: argparse.Namespace) -> int:
    summary = make_data(args.out, args.clips_per_class, args.seed, args.renderer, args.overwrite)
    text = (f"wrote {summary['clips']} clips ({summary['classes']} classes, renderer {summary['renderer']}) "
            f"to {summary['out']} in {summary['seconds']} s ({summary['clips_per_second']} clips/s)")
    emit(summary, args.json, text)
    return 0
