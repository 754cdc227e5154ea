"""Write frames to a video file with OpenCV's own encoders.

OpenCV's VideoWriter cannot write H.264 here; mp4v in .mp4 and MJPG in .avi both work
(see shared/data-facts.md), so the generated set uses those two containers.
"""
from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from suite.atomic import atomic_path

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG"}


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float) -> None:
    """Write uint8 RGB frames [T, H, W, 3] to ``path`` (.mp4 or .avi), atomically."""
    target = Path(path)
    fourcc = FOURCC_BY_SUFFIX.get(target.suffix.lower())
    if fourcc is None:
        raise ValueError(f"{path}: unsupported container; use one of {sorted(FOURCC_BY_SUFFIX)}")
    height, width = frames.shape[1:3]
    with atomic_path(target) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*fourcc), float(fps), (width, height))
        if not writer.isOpened():
            raise RuntimeError(f"{path}: OpenCV could not open a {fourcc} writer")
        try:
            for frame in frames:
                writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
        finally:
            writer.release()
