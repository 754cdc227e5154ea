"""An independent clip renderer, for evaluation only: never used to train (``train``, the pretext task and
export's calibration render with apps/video/render.py).

It shares no code with the training renderers (render.py, scene.py, shapes.py): the objects, the drawing
and the motion are written anew. Objects are unions of discs, boxes, capsules and triangles tested per
sample point in numpy (3 x 3 samples a pixel for anti-aliasing), not polygons filled by OpenCV or PIL.
Moves follow a quadratic time warp with a little bobbing, rotations turn at a constant rate about a
pivot a little off the object's middle, zooms follow a camera-depth (1/z) law, and the camera shakes
slightly. Backgrounds are plane-wave textures, bricks, Voronoi cells or a horizon; lighting is a
screen-fixed shading, a vignette, a gamma and signal-dependent noise.

Only the class meanings (apps/video/classes.py) are shared. ``render_independent(label, seed)`` is
deterministic for a seed; frames are uint8 RGB ``[T, H, W, 3]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from apps.video.classes import CLASSES

CANVASES: tuple[tuple[int, int], ...] = (  # (width, height), all even
    (120, 90), (144, 108), (176, 144), (224, 168), (288, 216), (352, 288), (200, 200), (256, 160), (160, 160),
)
RATES: tuple[float, ...] = (7.5, 12.0, 18.0, 24.0, 29.97)
SECONDS = (1.2, 2.8)
FRAMES = (14, 80)
SAMPLES = 3  # per pixel and axis, for anti-aliasing
UNIT_SCALE = (0.10, 0.30)  # pixels per object unit, as a share of the shorter side (objects fit in radius 1)
STRETCH = (0.55, 1.0)  # the object's height/width aspect: elongated objects change their outline as they turn
TURN_DEGREES = (45.0, 330.0)  # a rotation's total turn (the training renderer turns 80-360 degrees)
BLUR_SHARE = 0.5  # share of clips with motion blur: the object averaged over BLUR_TIMES sub-frame poses
BLUR_TIMES = 3
SHAKE_PIXELS = 1.5  # camera shake, per frame and axis (at most)
MIN_CONTRAST = 70.0  # mean absolute RGB difference between the object and each background colour

Inside = Callable[[np.ndarray, np.ndarray], np.ndarray]  # local (p right, q up) -> bool


# ----------------------------------------------------------------------------- objects

def _disc(p, q, cx, cy, r):
    return (p - cx) ** 2 + (q - cy) ** 2 <= r * r


def _box(p, q, left, right, bottom, top):
    return (p >= left) & (p <= right) & (q >= bottom) & (q <= top)


def _capsule(p, q, ax, ay, bx, by, half_width):
    dx, dy = bx - ax, by - ay
    t = np.clip(((p - ax) * dx + (q - ay) * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    return (p - ax - t * dx) ** 2 + (q - ay - t * dy) ** 2 <= half_width ** 2


def _triangle(p, q, a, b, c):
    def side(u, v):
        return (v[0] - u[0]) * (q - u[1]) - (v[1] - u[1]) * (p - u[0])
    s1, s2, s3 = side(a, b), side(b, c), side(c, a)
    return ((s1 >= 0) & (s2 >= 0) & (s3 >= 0)) | ((s1 <= 0) & (s2 <= 0) & (s3 <= 0))


OBJECTS: dict[str, Inside] = {
    "mallet": lambda p, q: _box(p, q, -0.95, 0.45, -0.13, 0.13) | _box(p, q, 0.35, 0.8, -0.5, 0.5),
    "flag": lambda p, q: (_box(p, q, -0.75, -0.6, -0.95, 0.95)
                          | _triangle(p, q, (-0.6, 0.95), (-0.6, 0.15), (0.85, 0.55))),
    "comma": lambda p, q: _disc(p, q, 0.0, 0.35, 0.55) | _capsule(p, q, 0.3, -0.05, -0.35, -0.9, 0.16),
    "key": lambda p, q: ((_disc(p, q, -0.55, 0.0, 0.4) & ~_disc(p, q, -0.55, 0.0, 0.17))
                         | _box(p, q, -0.2, 0.95, -0.08, 0.08) | _box(p, q, 0.55, 0.68, -0.4, 0.0)
                         | _box(p, q, 0.8, 0.95, -0.3, 0.0)),
    "sock": lambda p, q: _capsule(p, q, -0.3, 0.85, -0.3, -0.45, 0.28) | _capsule(p, q, -0.3, -0.6, 0.6, -0.6, 0.28),
    "bean": lambda p, q: (_disc(p, q, -0.4, -0.1, 0.55) | _disc(p, q, 0.45, 0.2, 0.42)
                          | _capsule(p, q, -0.4, -0.1, 0.45, 0.2, 0.3)),
    "sail": lambda p, q: _triangle(p, q, (-0.7, -0.6), (0.9, -0.6), (-0.3, 0.95)) & ~_disc(p, q, 0.35, 0.3, 0.45),
}
PATTERNS = ("flat", "spot", "rings", "checks", "shaded")


# ----------------------------------------------------------------------------- colours and backgrounds

def _hsv_colour(rng: np.random.Generator) -> np.ndarray:
    """A random colour drawn in hue, saturation and value (not per channel as the training renderers do)."""
    hue, saturation, value = rng.uniform(0, 6), rng.uniform(0.2, 1.0), rng.uniform(0.2, 1.0)
    x = 1.0 - abs(hue % 2.0 - 1.0)
    sector = [(1, x, 0), (x, 1, 0), (0, 1, x), (0, x, 1), (x, 0, 1), (1, 0, x)][int(hue) % 6]
    return 255.0 * value * (1.0 - saturation * (1.0 - np.array(sector, float)))


def _far_colour(rng: np.random.Generator, others: list[np.ndarray]) -> np.ndarray:
    best, best_gap = _hsv_colour(rng), -1.0
    for _ in range(300):
        colour = _hsv_colour(rng)
        gap = min(float(np.abs(colour - other).mean()) for other in others)
        if gap >= MIN_CONTRAST:
            return colour
        if gap > best_gap:
            best, best_gap = colour, gap
    return best


def _backdrop(kind: str, width: int, height: int, colours: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    """float [height, width, 3] in 0-255."""
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    low, high = colours
    if kind == "waves":  # a sum of random plane waves
        field = np.zeros((height, width))
        for _ in range(6):
            angle, wavelength = rng.uniform(0, np.pi), rng.uniform(0.1, 0.6) * min(width, height)
            along = x * np.cos(angle) + y * np.sin(angle)
            field += np.cos(along * 2 * np.pi / wavelength + rng.uniform(0, 2 * np.pi))
        weight = (field - field.min()) / (np.ptp(field) + 1e-9)
    elif kind == "bricks":
        brick_h = rng.uniform(0.08, 0.2) * height
        brick_w = brick_h * rng.uniform(1.6, 3.0)
        row = np.floor(y / brick_h)
        shifted = x + (row % 2) * brick_w / 2
        mortar = (np.mod(y, brick_h) < 1.5) | (np.mod(shifted, brick_w) < 1.5)
        weight = np.where(mortar, 1.0, 0.15 * rng.uniform(0, 1, size=(height, width)) + 0.1 * (row % 3) / 2)
    elif kind == "cells":  # Voronoi cells with two-colour blends
        seeds = rng.uniform([0, 0], [width, height], size=(int(rng.integers(6, 16)), 2))
        nearest = np.argmin((x[..., None] - seeds[:, 0]) ** 2 + (y[..., None] - seeds[:, 1]) ** 2, axis=-1)
        weight = rng.uniform(0, 1, size=len(seeds))[nearest]
    else:  # horizon: sky gradient above, speckled ground below
        line = rng.uniform(0.3, 0.7) * height
        weight = np.where(y < line, 0.6 * y / line, 0.8 + 0.2 * rng.uniform(0, 1, size=(height, width)))
    return low + weight[..., None] * (high - low)


BACKDROPS = ("waves", "bricks", "cells", "horizon")


# ----------------------------------------------------------------------------- motion

@dataclass(frozen=True)
class Pose:
    """Per frame: where the object's origin is (pixels, y down), its scale (pixels per unit) and heading
    (radians, counter-clockwise as seen on screen)."""

    x: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    heading: np.ndarray


def _warp(seconds: np.ndarray, duration: float, rng: np.random.Generator) -> np.ndarray:
    """Share of the way done at each time: s + k s (1 - s), k in [-0.8, 0.8] (speeding up or slowing down)."""
    s = seconds / duration
    return s + rng.uniform(-0.8, 0.8) * s * (1.0 - s)


def _pose(label: str, width: int, height: int, seconds: np.ndarray, rng: np.random.Generator) -> Pose:
    count, duration = len(seconds), float(seconds[-1])
    short = min(width, height)
    unit = rng.uniform(*UNIT_SCALE) * short
    heading = np.full(count, rng.uniform(-np.pi, np.pi))
    scale = np.full(count, unit)
    if label in ("zoom_in", "zoom_out"):
        near, far = 1.0, rng.uniform(1.6, 3.0)  # camera depths; scale goes as 1/depth
        depth = np.linspace(far, near, count) if label == "zoom_in" else np.linspace(near, far, count)
        scale = unit * 1.25 / depth  # the nearest view is 1.25 units
    reach = 1.05 * float(scale.max()) + SHAKE_PIXELS
    x = np.full(count, rng.uniform(reach, width - reach))
    y = np.full(count, rng.uniform(reach, height - reach))
    if label.startswith("move_"):
        horizontal = label in ("move_left", "move_right")
        length = width if horizontal else height
        span = rng.uniform(0.4, 0.9) * (length - 2 * reach)
        begin = rng.uniform(reach, length - reach - span)
        forward = label in ("move_right", "move_down")  # screen x grows right, y grows down
        start, stop = (begin, begin + span) if forward else (begin + span, begin)
        along = start + (stop - start) * _warp(seconds, duration, rng)
        bob = rng.uniform(0.0, 0.02) * short * np.sin(2 * np.pi * rng.uniform(1, 2) * seconds / duration)
        heading = heading + np.deg2rad(rng.uniform(-5, 5)) * np.sin(np.pi * seconds / duration)
        if horizontal:
            x, y = along, np.clip(y + bob, reach, height - reach)
        else:
            x, y = np.clip(x + bob, reach, width - reach), along
    if label.startswith("rotate_"):
        total = np.deg2rad(rng.uniform(*TURN_DEGREES))
        turn = total * seconds / duration * (1.0 if label == "rotate_ccw" else -1.0)
        heading = heading + turn
        # Turning about a pivot up to 0.2 units from the object's origin: the origin circles the pivot.
        offset = rng.uniform(0.0, 0.2) * unit
        phase = rng.uniform(-np.pi, np.pi)
        x = x + offset * (np.cos(phase + turn) - np.cos(phase))
        y = y - offset * (np.sin(phase + turn) - np.sin(phase))
    return Pose(np.asarray(x, float), np.asarray(y, float), np.asarray(scale, float), np.asarray(heading, float))


# ----------------------------------------------------------------------------- drawing

def _at(values: np.ndarray, time: float) -> float:
    """A per-frame value at a fractional frame index (linear between frames, held after the last)."""
    return float(np.interp(time, np.arange(len(values)), values))


Window = tuple[slice, slice]  # (rows, columns)


def _coverage(inside: Inside, pose: Pose, time: float, shape: tuple[int, int], offset: tuple[float, float],
              window: Window | None = None) -> tuple[np.ndarray, Window, np.ndarray, np.ndarray]:
    """The object's anti-aliased coverage in [0, 1] over its bounding window (or the given one) at frame
    ``time``, the window (rows, columns) and local (p, q) at the window's pixel centres."""
    height, width = shape
    cx, cy = _at(pose.x, time) + offset[0], _at(pose.y, time) + offset[1]
    heading, unit = _at(pose.heading, time), _at(pose.scale, time)
    cos, sin = np.cos(heading), np.sin(heading)
    if window is None:
        reach = 1.1 * (unit + abs(_at(pose.scale, time + 1) - unit)) + 2
        reach += np.hypot(_at(pose.x, time + 1) - _at(pose.x, time), _at(pose.y, time + 1) - _at(pose.y, time))
        left, right = max(0, int(cx - reach)), min(width, int(np.ceil(cx + reach)) + 1)
        top, bottom = max(0, int(cy - reach)), min(height, int(np.ceil(cy + reach)) + 1)
    else:
        top, bottom, left, right = window[0].start, window[0].stop, window[1].start, window[1].stop
    sub = (np.arange(SAMPLES) + 0.5) / SAMPLES - 0.5
    xs = (np.arange(left, right)[:, None] + 0.5 + sub[None]).reshape(-1)
    ys = (np.arange(top, bottom)[:, None] + 0.5 + sub[None]).reshape(-1)
    dx, dy = xs[None, :] - cx, cy - ys[:, None]  # dy points up
    p, q = (dx * cos + dy * sin) / unit, (-dx * sin + dy * cos) / unit
    hits = inside(p, q).astype(np.float32)
    cover = hits.reshape(bottom - top, SAMPLES, right - left, SAMPLES).mean(axis=(1, 3))
    centre = slice(SAMPLES // 2, None, SAMPLES)
    return cover, (slice(top, bottom), slice(left, right)), p[centre, centre], q[centre, centre]


def _paint(pattern: str, colour: np.ndarray, accent: np.ndarray, p: np.ndarray, q: np.ndarray,
           light: np.ndarray) -> np.ndarray:
    """The object's colour at each pixel [H, W, 3]; "shaded" lights it from a fixed screen direction."""
    if pattern == "spot":
        weight = ((p - 0.45) ** 2 + (q - 0.3) ** 2 < 0.06).astype(float)
    elif pattern == "rings":
        weight = (np.mod(np.hypot(p + 0.3, q) * 3.0, 1.0) < 0.4).astype(float)
    elif pattern == "checks":
        weight = ((np.floor(p * 2.5) + np.floor(q * 2.5)) % 2).astype(float)
    else:
        weight = np.zeros_like(p)
    paint = colour + weight[..., None] * (accent - colour)
    if pattern == "shaded":
        paint = paint * light[..., None]
    return paint


def render_independent(label: str, seed: int | np.random.SeedSequence) -> "IndependentClip":
    """One clip of ``label`` from this renderer (deterministic for ``seed``)."""
    if label not in CLASSES:
        raise ValueError(f"unknown class {label!r}")
    rng = np.random.default_rng(seed)
    width, height = CANVASES[rng.integers(len(CANVASES))]
    fps = float(RATES[rng.integers(len(RATES))])
    count = int(np.clip(round(rng.uniform(*SECONDS) * fps), *FRAMES))
    seconds = np.arange(count) / fps
    seconds = seconds if seconds[-1] > 0 else seconds + 1.0
    pose = _pose(label, width, height, seconds, rng)
    name = sorted(OBJECTS)[rng.integers(len(OBJECTS))]
    aspect = rng.uniform(*STRETCH)
    inside = lambda p, q: OBJECTS[name](p, q / aspect)  # noqa: E731  squashed along its own q axis
    blur = rng.uniform() < BLUR_SHARE
    pattern = PATTERNS[rng.integers(len(PATTERNS))]
    ground = [_hsv_colour(rng), _hsv_colour(rng)]
    colour, accent = _far_colour(rng, ground), _hsv_colour(rng)
    margin = int(np.ceil(SHAKE_PIXELS)) + 1
    backdrop = _backdrop(BACKDROPS[rng.integers(len(BACKDROPS))], width + 2 * margin, height + 2 * margin, ground, rng)
    clutter = _clutter(width, height, count, colour, rng)
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    direction = rng.uniform(0, 2 * np.pi)
    light = 0.75 + 0.5 * ((xx * np.cos(direction) + yy * np.sin(direction)) / (width + height) + 0.5) / 1.5
    vignette = 1.0 - rng.uniform(0.0, 0.35) * (((xx - width / 2) / width) ** 2 + ((yy - height / 2) / height) ** 2) * 2
    gamma, grain = rng.uniform(0.8, 1.25), rng.uniform(0.0, 1.2)
    shake = rng.uniform(-SHAKE_PIXELS, SHAKE_PIXELS, size=(count, 2)) * (rng.uniform() < 0.6)
    frames = np.empty((count, height, width, 3), np.uint8)
    masks = np.zeros((count, height, width), bool)
    for index in range(count):
        sx, sy = shake[index]
        top, left = int(round(margin + sy)), int(round(margin + sx))
        image = backdrop[top:top + height, left:left + width].copy()
        for draw in clutter:
            draw(image, index, (-sx, -sy))
        cover, window, p, q = _coverage(inside, pose, index, (height, width), (-sx, -sy))
        if blur:  # the shutter open over half a frame: coverage averaged over poses up to the next frame's
            cover = np.mean([cover] + [_coverage(inside, pose, index + share, (height, width), (-sx, -sy), window)[0]
                                       for share in np.arange(1, BLUR_TIMES) / (2.0 * BLUR_TIMES)], axis=0)
        paint = _paint(pattern, colour, accent, p, q, light[window])
        image[window] = image[window] * (1 - cover[..., None]) + paint * cover[..., None]
        masks[index][window] = cover >= 0.5
        image = 255.0 * (np.clip(image * vignette[..., None], 0, 255) / 255.0) ** gamma
        image = image + rng.normal(0.0, 1.0, image.shape) * grain * np.sqrt(image + 1.0)
        frames[index] = np.clip(np.round(image), 0, 255).astype(np.uint8)
    return IndependentClip(frames, label, fps, pose, name, tuple(int(c) for c in colour), masks)


def _clutter(width: int, height: int, count: int, avoid: np.ndarray,
             rng: np.random.Generator) -> list[Callable[[np.ndarray, int, tuple[float, float]], None]]:
    """0-2 still outlined rectangles and 0-2 balls swinging on circular arcs, in colours far from the object's."""
    draws = []
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    short = min(width, height)
    for _ in range(int(rng.integers(0, 3))):
        w, h = rng.uniform(0.05, 0.15, size=2) * short
        x0, y0 = rng.uniform(0, width - w), rng.uniform(0, height - h)
        colour = _far_colour(rng, [avoid])
        frame = _box(xx, yy, x0, x0 + w, y0, y0 + h) & ~_box(xx, yy, x0 + 2, x0 + w - 2, y0 + 2, y0 + h - 2)

        def still(image, index, offset, frame=frame, colour=colour):
            image[np.roll(frame, (int(round(offset[1])), int(round(offset[0]))), axis=(0, 1))] = colour
        draws.append(still)
    for _ in range(int(rng.integers(0, 3))):
        radius = rng.uniform(0.02, 0.05) * short
        cx, cy = rng.uniform(0.2, 0.8) * width, rng.uniform(0.2, 0.8) * height
        swing, arm = rng.uniform(0.5, 2.5), rng.uniform(0.05, 0.25) * short
        phase = rng.uniform(0, 2 * np.pi) + swing * np.sin(np.linspace(0, 2 * np.pi, count) * rng.uniform(0.5, 1.5))
        colour = _far_colour(rng, [avoid])

        def ball(image, index, offset, cx=cx, cy=cy, arm=arm, phase=phase, radius=radius, colour=colour):
            bx, by = cx + arm * np.cos(phase[index]) + offset[0], cy + arm * np.sin(phase[index]) + offset[1]
            image[_disc(xx, yy, bx, by, radius)] = colour
        draws.append(ball)
    return draws


@dataclass(frozen=True)
class IndependentClip:
    frames: np.ndarray  # uint8 RGB [T, H, W, 3]
    label: str
    fps: float
    pose: Pose  # ground truth of the object, per frame
    shape: str
    colour: tuple[int, int, int]  # RGB of the object's base colour
    masks: np.ndarray  # bool [T, H, W]: the object's pixels
