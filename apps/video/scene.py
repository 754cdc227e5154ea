"""Random scene parameters shared by the renderers: frame size, timing, colours and the
ground-truth motion of the main object for each class.

Geometry convention: pixel coordinates with x to the right and y DOWN (image rows), and
angles in degrees counter-clockwise AS SEEN ON SCREEN. A shape's vertices are given in unit
coordinates with v pointing UP, so ``place_shape`` flips v when it maps them to rows.

Within each direction pair the motion is sampled symmetrically (the trajectory's midpoint is
drawn first, the direction only flips the sign), so the set of object positions, sizes and
angles over a clip has the same distribution for both classes of a pair.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from apps.video.classes import CLASSES

Progress = Callable[[np.ndarray], np.ndarray]  # maps time in [0, 1] to progress in [0, 1]

# Frame sizes (width, height): 4:3, 16:9 and square, all even (mp4v needs even sizes).
FRAME_SIZES: tuple[tuple[int, int], ...] = (
    (96, 72), (128, 96), (160, 120), (192, 144), (240, 180), (320, 240),
    (160, 90), (256, 144), (96, 96), (128, 128), (176, 176),
)
FRAME_RATES: tuple[float, ...] = (10.0, 12.0, 15.0, 24.0, 25.0, 30.0)
DURATION_SECONDS = (1.0, 2.5)
FRAME_COUNT_LIMITS = (12, 64)  # at least 12 so a 16-frame sample repeats few frames

# Main object's bounding radius as a fraction of the frame's shorter side.
RADIUS_FRACTION = (0.10, 0.17)
# Travel of a move as a fraction of the room the object has along that axis.
TRAVEL_FRACTION = (0.45, 0.9)
ROTATION_DEGREES = (100.0, 240.0)  # total turn over a clip; <= 25 degrees a frame at 12 frames
ZOOM_RATIO = (1.7, 2.6)  # final/initial size of a zoom
DISTRACTOR_RADIUS_FRACTION = (0.25, 0.45)  # of the main object's smallest radius, so it stays the main one
MIN_OBJECT_CONTRAST = 110.0  # RGB distance between the main object and background/distractor colours


@dataclass(frozen=True)
class Motion:
    """Ground truth of the main object, one value per frame (pixels, degrees CCW on screen)."""

    center_x: np.ndarray
    center_y: np.ndarray
    radius: np.ndarray
    angle: np.ndarray


@dataclass(frozen=True)
class Timing:
    width: int
    height: int
    fps: float
    num_frames: int


def linear_progress(time: np.ndarray) -> np.ndarray:
    return time


def eased_progress(time: np.ndarray) -> np.ndarray:
    """Smoothstep ease-in-out; symmetric under time reversal like the linear profile."""
    return time * time * (3.0 - 2.0 * time)


def sample_timing(rng: np.random.Generator, size: tuple[int, int] | None, num_frames: int | None) -> Timing:
    width, height = size if size is not None else FRAME_SIZES[rng.integers(len(FRAME_SIZES))]
    fps = float(FRAME_RATES[rng.integers(len(FRAME_RATES))])
    if num_frames is None:
        num_frames = int(round(rng.uniform(*DURATION_SECONDS) * fps))
        num_frames = int(np.clip(num_frames, *FRAME_COUNT_LIMITS))
    return Timing(int(width), int(height), fps, int(num_frames))


def sample_motion(label: str, timing: Timing, rng: np.random.Generator, progress: Progress) -> Motion:
    """The main object's trajectory for ``label``: it stays fully inside the frame throughout."""
    if label not in CLASSES:
        raise ValueError(f"unknown class {label!r}")
    width, height, frames = timing.width, timing.height, timing.num_frames
    radius = rng.uniform(*RADIUS_FRACTION) * min(width, height)
    # Centred progress in [-0.5, 0.5]: flipping its sign is exactly time reversal.
    step = progress(np.linspace(0.0, 1.0, frames)) - 0.5
    angle = np.full(frames, rng.uniform(0.0, 360.0))
    radii = np.full(frames, radius)
    if label.startswith("zoom_"):
        ratio = rng.uniform(*ZOOM_RATIO)
        sign = 1.0 if label == "zoom_in" else -1.0
        radii = radius * ratio ** (sign * step)
    extent = float(radii.max())
    center_x = np.full(frames, rng.uniform(extent, width - extent))
    center_y = np.full(frames, rng.uniform(extent, height - extent))
    if label.startswith("move_"):
        horizontal = label in ("move_left", "move_right")
        room = (width if horizontal else height) - 2.0 * extent
        travel = rng.uniform(*TRAVEL_FRACTION) * room
        middle = rng.uniform(extent + travel / 2.0, extent + room - travel / 2.0)
        sign = 1.0 if label in ("move_right", "move_down") else -1.0  # +x is right, +y is down
        path = middle + sign * travel * step
        if horizontal:
            center_x = path
        else:
            center_y = path
    if label.startswith("rotate_"):
        sign = 1.0 if label == "rotate_ccw" else -1.0
        angle = angle + sign * rng.uniform(*ROTATION_DEGREES) * step
    return Motion(center_x, center_y, radii, angle)


def place_shape(vertices: np.ndarray, center_x: float, center_y: float, radius: float, angle: float) -> np.ndarray:
    """Unit-shape vertices (v up) -> pixel (x, y) points, rotated ``angle`` degrees CCW on screen."""
    theta = np.deg2rad(angle)
    cos, sin = np.cos(theta), np.sin(theta)
    u, v = vertices[:, 0], vertices[:, 1]
    x = center_x + radius * (u * cos - v * sin)
    y = center_y - radius * (u * sin + v * cos)  # screen y points down
    return np.stack([x, y], axis=1)


def normalise_shape(points: list[tuple[float, float]]) -> np.ndarray:
    """Centre a polygon on its area centroid and scale its farthest vertex to radius 1."""
    vertices = np.asarray(points, dtype=np.float64)
    x, y = vertices[:, 0], vertices[:, 1]
    x_next, y_next = np.roll(x, -1), np.roll(y, -1)
    cross = x * y_next - x_next * y
    area = cross.sum() / 2.0
    centroid = np.array([((x + x_next) * cross).sum(), ((y + y_next) * cross).sum()]) / (6.0 * area)
    vertices = vertices - centroid
    return vertices / np.linalg.norm(vertices, axis=1).max()


def arc(center: tuple[float, float], radius: float, start: float, stop: float, count: int) -> list[tuple[float, float]]:
    """Points on a circular arc, angles in degrees (unit coordinates, v up)."""
    angles = np.deg2rad(np.linspace(start, stop, count))
    return [(center[0] + radius * np.cos(a), center[1] + radius * np.sin(a)) for a in angles]


def random_colour(rng: np.random.Generator) -> np.ndarray:
    return rng.integers(0, 256, size=3).astype(np.float64)


def distance_to_segment(colour: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """RGB distance from ``colour`` to the blends of two background colours."""
    span = second - first
    weight = np.clip(np.dot(colour - first, span) / max(np.dot(span, span), 1e-9), 0.0, 1.0)
    return float(np.linalg.norm(colour - (first + weight * span)))


def contrasting_colour(rng: np.random.Generator, avoid: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """A colour at least MIN_OBJECT_CONTRAST away from every blend segment in ``avoid``."""
    best, best_distance = random_colour(rng), -1.0
    for _ in range(200):
        colour = random_colour(rng)
        distance = min(distance_to_segment(colour, first, second) for first, second in avoid)
        if distance >= MIN_OBJECT_CONTRAST:
            return colour
        if distance > best_distance:
            best, best_distance = colour, distance
    return best


def distractor_count(rng: np.random.Generator) -> int:
    """0-3 distractors, most clips having at least one."""
    return int(rng.choice(4, p=[0.2, 0.35, 0.3, 0.15]))
