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
    (64, 48), (80, 60), (96, 72), (112, 84), (128, 96), (160, 120), (192, 144), (200, 150), (240, 180),
    (256, 192), (320, 240), (160, 90), (256, 144), (384, 216), (64, 64), (96, 96), (128, 128), (176, 176),
    (144, 176), (120, 160),
)
FRAME_RATES: tuple[float, ...] = (6.0, 8.0, 10.0, 12.0, 15.0, 20.0, 24.0, 25.0, 30.0, 50.0, 60.0)
DURATION_SECONDS = (0.8, 3.0)
FRAME_COUNT_LIMITS = (12, 72)  # at least 12 so a 16-frame sample repeats few frames

# Main object's bounding radius as a fraction of the frame's shorter side.
RADIUS_FRACTION = (0.10, 0.28)
MAX_EXTENT_FRACTION = 0.44  # the largest radius over a clip, capped so a zoom still fits the frame
# Travel of a move as a fraction of the room the object has along that axis.
TRAVEL_FRACTION = (0.3, 0.95)
ROTATION_DEGREES = (80.0, 360.0)  # total turn over a clip
ZOOM_RATIO = (1.5, 3.0)  # final/initial size of a zoom
# Nuisance motion on top of a class's own motion, well below every class's smallest own motion, so
# the model learns the dominant motion rather than "only one thing changes": drift across a move
# (fraction of its travel), drift of a rotation or zoom (fraction of the shorter side), a turn (degrees)
# and a size change (ratio) of the classes that neither turn nor zoom.
NUISANCE_DRIFT = 0.15
NUISANCE_SHIFT = 0.05
NUISANCE_TURN = 20.0
NUISANCE_SCALE = 1.15
NUISANCE_PROBABILITY = 0.5
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


def ease_in(time: np.ndarray) -> np.ndarray:
    return time * time


def ease_out(time: np.ndarray) -> np.ndarray:
    """The time reversal of ``ease_in``: drawn as often, so a pair's frame statistics stay equal."""
    return 1.0 - (1.0 - time) ** 2


def held_progress(rng: np.random.Generator) -> Progress:
    """Linear motion with the object still for a random share of the clip at each end (drawn apart)."""
    start, stop = rng.uniform(0.0, 0.25), 1.0 - rng.uniform(0.0, 0.25)
    return lambda time: np.clip((time - start) / (stop - start), 0.0, 1.0)


PROFILES: tuple[Progress, ...] = (linear_progress, eased_progress, ease_in, ease_out)


def random_progress(rng: np.random.Generator) -> Progress:
    """One of the speed profiles (linear, ease-in-out, ease-in, ease-out) or a motion held at its ends."""
    pick = int(rng.integers(len(PROFILES) + 1))
    return PROFILES[pick] if pick < len(PROFILES) else held_progress(rng)


def sample_timing(rng: np.random.Generator, size: tuple[int, int] | None, num_frames: int | None) -> Timing:
    width, height = size if size is not None else FRAME_SIZES[rng.integers(len(FRAME_SIZES))]
    fps = float(FRAME_RATES[rng.integers(len(FRAME_RATES))])
    if num_frames is None:
        num_frames = int(round(rng.uniform(*DURATION_SECONDS) * fps))
        num_frames = int(np.clip(num_frames, *FRAME_COUNT_LIMITS))
    return Timing(int(width), int(height), fps, int(num_frames))


def sample_motion(label: str, timing: Timing, rng: np.random.Generator, progress: Progress,
                  nuisance: bool = False) -> Motion:
    """The main object's trajectory for ``label``: it stays fully inside the frame throughout.

    ``nuisance`` adds, with probability NUISANCE_PROBABILITY, small motions of the other kinds (drift,
    turn, size change), each with a random sign so both classes of a pair see the same ones.
    """
    if label not in CLASSES:
        raise ValueError(f"unknown class {label!r}")
    width, height, frames = timing.width, timing.height, timing.num_frames
    side = min(width, height)
    radius = rng.uniform(*RADIUS_FRACTION) * side
    # Centred progress in [-0.5, 0.5]: flipping its sign is exactly time reversal.
    step = progress(np.linspace(0.0, 1.0, frames)) - 0.5
    extra = nuisance_motion(label, rng, side) if nuisance else {"turn": 0.0, "scale": 1.0, "dx": 0.0, "dy": 0.0}
    angle = rng.uniform(0.0, 360.0) + extra["turn"] * step
    radii = radius * extra["scale"] ** step
    if label.startswith("zoom_"):
        ratio = rng.uniform(*ZOOM_RATIO)
        sign = 1.0 if label == "zoom_in" else -1.0
        radii = radius * ratio ** (sign * step)
    radii = radii * min(1.0, MAX_EXTENT_FRACTION * side / float(radii.max()))
    extent = float(radii.max())
    drift_x, drift_y = extra["dx"] * step, extra["dy"] * step
    center_x = rng.uniform(extent + abs(extra["dx"]) / 2, width - extent - abs(extra["dx"]) / 2) + drift_x
    center_y = rng.uniform(extent + abs(extra["dy"]) / 2, height - extent - abs(extra["dy"]) / 2) + drift_y
    if label.startswith("move_"):
        horizontal = label in ("move_left", "move_right")
        room = (width if horizontal else height) - 2.0 * extent
        travel = rng.uniform(*TRAVEL_FRACTION) * room
        middle = rng.uniform(extent + travel / 2.0, extent + room - travel / 2.0)
        sign = 1.0 if label in ("move_right", "move_down") else -1.0  # +x is right, +y is down
        path = middle + sign * travel * step
        across_room = (height if horizontal else width) - 2.0 * extent
        drift = min(rng.uniform(0.0, NUISANCE_DRIFT) * travel, across_room) * rng.choice([-1.0, 1.0]) if extra["dx"] or extra["dy"] else 0.0
        across = rng.uniform(extent + abs(drift) / 2, extent + across_room - abs(drift) / 2) + drift * step
        center_x, center_y = (path, across) if horizontal else (across, path)
    if label.startswith("rotate_"):
        sign = 1.0 if label == "rotate_ccw" else -1.0
        angle = angle + sign * rng.uniform(*ROTATION_DEGREES) * step
    return Motion(np.asarray(center_x, float) * np.ones(frames), np.asarray(center_y, float) * np.ones(frames),
                  np.asarray(radii, float), np.asarray(angle, float) * np.ones(frames))


def nuisance_motion(label: str, rng: np.random.Generator, side: float) -> dict[str, float]:
    """Small motions of the kinds ``label`` does not name (all zero with probability 1 - NUISANCE_PROBABILITY)."""
    values = {"turn": 0.0, "scale": 1.0, "dx": 0.0, "dy": 0.0}
    if rng.uniform() >= NUISANCE_PROBABILITY:
        return values
    sign = lambda: rng.choice([-1.0, 1.0])  # noqa: E731
    if not label.startswith("rotate_"):
        values["turn"] = sign() * rng.uniform(0.0, NUISANCE_TURN)
    if not label.startswith("zoom_"):
        values["scale"] = rng.uniform(1.0, NUISANCE_SCALE) ** sign()
    # For a move, dx/dy only switch its perpendicular drift on (sized from its travel there).
    values["dx"] = sign() * rng.uniform(0.0, NUISANCE_SHIFT) * side
    values["dy"] = sign() * rng.uniform(0.0, NUISANCE_SHIFT) * side
    return values


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


def distractor_count(rng: np.random.Generator, most: int = 3) -> int:
    """0-3 distractors (0-``most``), most clips having at least one."""
    weights = np.array([0.2, 0.35, 0.3, 0.15, 0.1, 0.05][:most + 1])
    return int(rng.choice(most + 1, p=weights / weights.sum()))
