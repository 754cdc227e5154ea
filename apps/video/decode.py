"""Decode video files into model input: N frames sampled uniformly, resized, float32 RGB in [0, 1].

OpenCV decodes (its FFmpeg backend); the ffmpeg binary of imageio-ffmpeg is the fallback for
files OpenCV cannot open. Bad files raise ``UserError("<path>: ...")``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import numpy as np

# Silence FFmpeg's own log lines ("moov atom not found"): a bad file must give exactly one line.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")

import cv2  # noqa: E402

from suite.errors import UserError  # noqa: E402

DEFAULT_NUM_FRAMES = 16
DEFAULT_SIZE = (64, 64)  # (height, width) of model input
SHORT_CLIP_POLICIES = ("pad", "loop")  # pad repeats the last frame; loop starts the clip over


def iter_frames(path: str | os.PathLike, size: tuple[int, int] | None = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """Frames of ``path`` one at a time, as a camera would deliver them: float32 RGB [H, W, 3] in [0, 1].

    ``size`` is (height, width); None keeps the native size. Raises UserError for a file that
    cannot be decoded or holds zero frames (before yielding anything).
    """
    for frame in iter_uint8_frames(path, size):
        yield to_float(frame)


def load_clip(path: str | os.PathLike, num_frames: int = DEFAULT_NUM_FRAMES,
              size: tuple[int, int] = DEFAULT_SIZE, short_clip: str = "pad") -> np.ndarray:
    """``num_frames`` frames sampled uniformly over the whole clip: float32 RGB [N, H, W, 3] in [0, 1]."""
    return to_float(load_clip_uint8(path, num_frames, size, short_clip))


def load_clip_uint8(path: str | os.PathLike, num_frames: int = DEFAULT_NUM_FRAMES,
                    size: tuple[int, int] = DEFAULT_SIZE, short_clip: str = "pad") -> np.ndarray:
    """Like ``load_clip`` but uint8 RGB (4x smaller, for caches)."""
    # Every frame is resized as it is decoded, so a long clip of huge frames stays small in memory.
    frames = list(iter_uint8_frames(path, size))
    return np.stack(frames)[sample_indices(len(frames), num_frames, short_clip)]


def sample_indices(total: int, num_frames: int, short_clip: str = "pad") -> np.ndarray:
    """Indices of ``num_frames`` frames spread uniformly over ``total`` (first and last included).

    A clip shorter than ``num_frames`` is padded by repeating its last frame, or looped.
    """
    if total < 1 or num_frames < 1:
        raise ValueError(f"need at least one frame (total={total}, num_frames={num_frames})")
    if short_clip not in SHORT_CLIP_POLICIES:
        raise ValueError(f"short_clip must be one of {SHORT_CLIP_POLICIES}, not {short_clip!r}")
    if total >= num_frames:
        return np.round(np.linspace(0, total - 1, num_frames)).astype(np.int64)
    if short_clip == "loop":
        return np.arange(num_frames) % total
    return np.minimum(np.arange(num_frames), total - 1)


def to_float(frames: np.ndarray) -> np.ndarray:
    return frames.astype(np.float32) / 255.0


def iter_uint8_frames(path: str | os.PathLike, size: tuple[int, int] | None = DEFAULT_SIZE) -> Iterator[np.ndarray]:
    """uint8 RGB frames of ``path``, resized to ``size`` (height, width) unless it is None."""
    check_file(path)
    decoded = 0
    for frame in decode_rgb(path):
        decoded += 1
        yield resize(frame, size)
    if decoded == 0:
        raise UserError(f"{path}: the video holds zero frames")


def check_file(path: str | os.PathLike) -> None:
    file = Path(path)
    if not file.exists():
        raise UserError(f"{path}: no such file")
    if not file.is_file():
        raise UserError(f"{path}: not a file")
    if file.stat().st_size == 0:
        raise UserError(f"{path}: empty file")


def decode_rgb(path: str | os.PathLike) -> Iterator[np.ndarray]:
    """Native-size uint8 RGB frames, from OpenCV or else from imageio-ffmpeg."""
    capture = cv2.VideoCapture(str(path))
    if capture.isOpened():
        try:
            while True:
                ok, frame = capture.read()
                if not ok:
                    return
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        finally:
            capture.release()
    yield from decode_rgb_ffmpeg(path)


def decode_rgb_ffmpeg(path: str | os.PathLike) -> Iterator[np.ndarray]:
    import imageio_ffmpeg

    try:
        reader = imageio_ffmpeg.read_frames(str(path), pix_fmt="rgb24")
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserError(f"{path}: cannot decode video ({reason})") from None
    width, height = meta["size"]
    try:
        for data in reader:
            yield np.frombuffer(data, np.uint8).reshape(height, width, 3)
    except (OSError, RuntimeError) as error:
        raise UserError(f"{path}: video data is corrupt ({str(error).splitlines()[0]})") from None
    finally:
        reader.close()


def resize(frame: np.ndarray, size: tuple[int, int] | None) -> np.ndarray:
    """Stretch to (height, width): keeps the whole field of view, and motion directions survive
    any positive scaling of the axes. Area interpolation for shrinking avoids aliasing."""
    if size is None or frame.shape[:2] == tuple(size):
        return frame
    height, width = size
    shrinking = frame.shape[0] >= height and frame.shape[1] >= width
    interpolation = cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR
    return cv2.resize(frame, (width, height), interpolation=interpolation)


def frame_rate(path: str | os.PathLike) -> float:
    """The container's frames per second, 0.0 when unknown."""
    capture = cv2.VideoCapture(str(path))
    fps = float(capture.get(cv2.CAP_PROP_FPS) or 0.0) if capture.isOpened() else 0.0
    capture.release()
    return fps if fps > 0 else 0.0


def video_info(path: str | os.PathLike) -> dict:
    """Frame count (by decoding), frame rate and native (width, height) of a video file."""
    count, shape = 0, (0, 0)
    for frame in iter_uint8_frames(path, size=None):
        count, shape = count + 1, frame.shape
    return {"file": str(path), "frames": count, "fps": frame_rate(path), "width": int(shape[1]), "height": int(shape[0])}


SHEET_COLUMNS = 8


def describe(path: str) -> dict:
    """One record for a video file, or for a dataset folder (clips per class and split)."""
    from apps.video.ucf101 import VIDEO_SUFFIXES, scan_folder

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


def write_contact_sheet(out: str | os.PathLike, path: str | os.PathLike, num_frames: int, side: int) -> None:
    """The ``num_frames`` sampled frames of ``path``, resized to ``side`` x ``side``, as one PNG (atomically)."""
    from suite.atomic import write_bytes

    frames = load_clip_uint8(path, num_frames, (side, side))
    _, png = cv2.imencode(".png", cv2.cvtColor(contact_sheet(frames), cv2.COLOR_RGB2BGR))
    write_bytes(out, png.tobytes())
