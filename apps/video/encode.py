"""Write frames to a video file: OpenCV's own encoders (mp4v in .mp4, MJPG in .avi) or libx264 in .mp4
through the ffmpeg binary that imageio-ffmpeg ships (OpenCV's VideoWriter cannot write H.264 here,
see shared/data-facts.md).
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import cv2
import numpy as np

from suite.atomic import atomic_path

FOURCC_BY_SUFFIX = {".mp4": "mp4v", ".avi": "MJPG"}
CODECS = ("mp4v", "MJPG", "libx264")
SUFFIX_OF_CODEC = {"mp4v": ".mp4", "MJPG": ".avi", "libx264": ".mp4"}


def write_video(path: str | os.PathLike, frames: np.ndarray, fps: float, codec: str | None = None,
                quality: int | None = None) -> None:
    """Write uint8 RGB frames [T, H, W, 3] to ``path`` atomically. ``codec`` defaults to the container's
    OpenCV codec (mp4v for .mp4, MJPG for .avi); ``quality`` is MJPG's JPEG quality (0-100) or
    libx264's constant rate factor (0-51, lower is better)."""
    target = Path(path)
    codec = codec or FOURCC_BY_SUFFIX.get(target.suffix.lower())
    if codec not in CODECS or SUFFIX_OF_CODEC[codec] != target.suffix.lower():
        raise ValueError(f"{path}: unsupported container or codec {codec!r}; use one of {SUFFIX_OF_CODEC}")
    with atomic_path(target) as temporary:
        if codec == "libx264":
            write_x264(temporary, frames, fps, quality)
        else:
            write_opencv(temporary, frames, fps, codec, quality)


def write_opencv(path: Path, frames: np.ndarray, fps: float, fourcc: str, quality: int | None) -> None:
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), float(fps), (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"{path}: OpenCV could not open a {fourcc} writer")
    if quality is not None:
        writer.set(cv2.VIDEOWRITER_PROP_QUALITY, float(quality))
    try:
        for frame in frames:
            writer.write(cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2BGR))
    finally:
        writer.release()


def write_x264(path: Path, frames: np.ndarray, fps: float, crf: int | None) -> None:
    """libx264 (yuv420p, so even sizes) through imageio-ffmpeg's ffmpeg binary, frames piped as raw RGB."""
    import imageio_ffmpeg

    height, width = frames.shape[1:3]
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
               "-s", f"{width}x{height}", "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "veryfast",
               "-crf", str(23 if crf is None else int(crf)), "-pix_fmt", "yuv420p", "-f", "mp4", str(path)]
    result = subprocess.run(command, input=np.ascontiguousarray(frames, np.uint8).tobytes(), capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"{path}: ffmpeg libx264 failed ({result.stderr.decode(errors='replace').strip()[:200]})")
