"""``info``: what a video file or a dataset folder holds, as the model would see it.

For a file: decoded frame count, frame rate and native size, and optionally a contact sheet PNG
of the N uniformly sampled, resized frames the model gets. For a folder: clips per class and split.
"""
from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

from apps.video.cli import app
from apps.video.dataset import VIDEO_SUFFIXES, scan_folder
from apps.video.decode import DEFAULT_NUM_FRAMES, load_clip_uint8, video_info
from suite.atomic import write_bytes
from suite.cli import add_json_option, emit
from suite.errors import UserError

SHEET_COLUMNS = 8


def describe(path: str) -> dict:
    """One record for a video file or a dataset folder."""
    if Path(path).is_dir() or Path(path).suffix.lower() not in VIDEO_SUFFIXES:
        folder = scan_folder(path)
        return {"folder": path, "classes": list(folder.class_names), "clips": len(folder.files),
                "counts": folder.counts()}
    return video_info(path)


def contact_sheet(frames: np.ndarray, columns: int = SHEET_COLUMNS) -> np.ndarray:
    """uint8 RGB frames [N, H, W, 3] tiled row by row into one image (blank tiles pad the last row)."""
    count, height, width, _ = frames.shape
    rows = -(-count // columns)
    tiles = np.zeros((rows * columns, height, width, 3), np.uint8)
    tiles[:count] = frames
    return tiles.reshape(rows, columns, height, width, 3).transpose(0, 2, 1, 3, 4).reshape(rows * height, columns * width, 3)


def info_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH", help="video files (.mp4, .avi) or dataset folders")
    parser.add_argument("--frames", type=int, default=DEFAULT_NUM_FRAMES, help="frames sampled for --sheet")
    parser.add_argument("--size", type=int, default=64, help="square side the sampled frames are resized to")
    parser.add_argument("--sheet", help="write a PNG of the sampled frames of the one FILE given")
    add_json_option(parser)


@app.command("info", help="describe video files or a dataset folder", arguments=info_arguments)
def info_command(args: argparse.Namespace) -> int:
    if args.frames < 1 or args.size < 1:
        raise UserError("--frames and --size must be at least 1")
    if args.sheet and len(args.paths) != 1:
        raise UserError("--sheet: give exactly one video file")
    records = [describe(path) for path in args.paths]  # every input is checked before anything is written
    if args.sheet:
        frames = load_clip_uint8(args.paths[0], args.frames, (args.size, args.size))
        encoded, png = cv2.imencode(".png", cv2.cvtColor(contact_sheet(frames), cv2.COLOR_RGB2BGR))
        write_bytes(args.sheet, png.tobytes())
    for record in records:
        emit(record, args.json)
    return 0
