"""Render clips of the motion classes: the main renderer (OpenCV drawing), which makes the training data,
and an alternative one (PIL drawing, other shapes, textures and an eased motion) with the same class
meanings. The independent renderer that checks generalisation is apps/video/independent.py (no shared code).

The main renderer varies what a model must not rely on: named shapes and random polygons; solid,
striped, two-tone, gradient and outline-only fills (painted in the object's frame, so they turn with
it); six background kinds; sizes, speeds, speed profiles (scene.random_progress) and small nuisance
motions (scene.nuisance_motion); distractors, some still; a brightness ramp, Gaussian blur and noise.
Frame size, rate and length come from scene.sample_timing; codecs and their quality from data.clip_codec.

``render_clip(label, seed)`` is deterministic for a seed. Frames are uint8 RGB ``[T, H, W, 3]``.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np
from PIL import Image, ImageDraw

from apps.video import scene
from apps.video.shapes import ALT_SHAPES, MAIN_SHAPES

SUBPIXEL_BITS = 4  # cv2.fillPoly draws at 1/16 pixel so slow motion stays smooth
MAIN_NOISE_SIGMA = (0.0, 12.0)  # Gaussian pixel noise, 0-255 scale
ALT_NOISE_AMPLITUDE = (0.0, 12.0)  # uniform pixel noise, 0-255 scale
ALT_FLICKER = 0.06  # the alt renderer's per-frame global brightness change (fraction)
ALT_SUPERSAMPLE = 2  # PIL draws without anti-aliasing: draw at 2x and average down
DISTRACTOR_SPEED = (0.2, 1.0)  # distance covered over a clip, as a fraction of the frame's shorter side


@dataclass(frozen=True)
class Clip:
    frames: np.ndarray  # uint8 RGB [T, H, W, 3]
    label: str
    fps: float
    motion: scene.Motion  # ground truth of the main object, per frame
    main_colour: tuple[int, int, int]  # RGB fill of the main object
    shape: str
    renderer: str
    masks: np.ndarray | None = None  # bool [T, H, W]: the main object's pixels, when asked for
    fill: str = "solid"  # how the object is painted (render.FILL_STYLES)


def render_clip(label: str, seed: int | np.random.SeedSequence, renderer: str = "main",
                size: tuple[int, int] | None = None, num_frames: int | None = None,
                with_masks: bool = False) -> Clip:
    """One clip of class ``label``; ``size`` is (width, height) and overrides the random frame size."""
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer!r}; choose from {sorted(RENDERERS)}")
    rng = np.random.default_rng(seed)
    timing = scene.sample_timing(rng, size, num_frames)
    return RENDERERS[renderer](label, timing, rng, with_masks)


# ----------------------------------------------------------------------------- main renderer

FILL_STYLES = ("solid", "stripes", "gradient", "two_tone", "outline")
BACKGROUND_KINDS = ("solid", "gradient", "textured", "stripes", "checker", "noise")
RANDOM_SHAPE_SHARE = 0.5  # share of clips whose object is a random polygon instead of a named shape
BLUR_SIGMA = (0.0, 1.5)  # Gaussian blur of a frame (pixels), for half of the clips
LIGHT_RAMP = 0.12  # brightness change over a clip (fraction, either sign)


def render_main(label: str, timing: scene.Timing, rng: np.random.Generator, with_masks: bool) -> Clip:
    motion = scene.sample_motion(label, timing, rng, scene.random_progress(rng), nuisance=True)
    shape_name, vertices = main_shape(rng)
    background, background_colours = main_background(timing, rng)
    colour = scene.contrasting_colour(rng, background_colours)
    second = scene.contrasting_colour(rng, background_colours)
    style = FILL_STYLES[rng.integers(len(FILL_STYLES))]
    stripes = rng.uniform(1.5, 4.0)  # stripe periods across the object
    distractors = main_distractors(timing, motion, colour, rng)
    sigma = rng.uniform(*MAIN_NOISE_SIGMA)
    blur = rng.uniform(*BLUR_SIGMA) if rng.uniform() < 0.5 else 0.0
    light = 1.0 + rng.uniform(-LIGHT_RAMP, LIGHT_RAMP) * (np.linspace(0.0, 1.0, timing.num_frames) - 0.5)
    grid = np.mgrid[0:timing.height, 0:timing.width].astype(np.float32)
    frames = np.empty((timing.num_frames, timing.height, timing.width, 3), np.uint8)
    masks = np.zeros((timing.num_frames, timing.height, timing.width), bool) if with_masks else None
    for index in range(timing.num_frames):
        canvas = background.copy()
        for draw in distractors:
            draw(canvas, index)
        points = main_points(vertices, motion, index)
        alpha = np.zeros(canvas.shape[:2], np.uint8)
        if style == "outline":
            thickness = max(1, int(round(motion.radius[index] * 0.15)))
            cv2.polylines(alpha, [points], True, 255, thickness, cv2.LINE_AA, SUBPIXEL_BITS)
        else:
            cv2.fillPoly(alpha, [points], 255, cv2.LINE_AA, SUBPIXEL_BITS)
        fill = object_fill(style, colour, second, stripes, motion, index, grid)
        weight = alpha[..., None].astype(np.float32) / 255.0
        canvas = canvas * (1.0 - weight) + fill * weight
        if masks is not None:
            mask = np.zeros(canvas.shape[:2], np.uint8)
            cv2.fillPoly(mask, [points], 1, cv2.LINE_8, SUBPIXEL_BITS)
            masks[index] = mask.astype(bool)
        if blur:
            canvas = cv2.GaussianBlur(canvas, (0, 0), blur)
        noise = rng.standard_normal(canvas.shape, dtype=np.float32) * sigma
        frames[index] = np.clip(canvas * light[index] + noise, 0, 255).astype(np.uint8)
    return Clip(frames, label, timing.fps, motion, tuple(int(c) for c in colour), shape_name, "main", masks, style)


def main_shape(rng: np.random.Generator) -> tuple[str, np.ndarray]:
    """A named asymmetric shape, or (RANDOM_SHAPE_SHARE of the time) a random star-shaped polygon."""
    if rng.uniform() >= RANDOM_SHAPE_SHARE:
        name = sorted(MAIN_SHAPES)[rng.integers(len(MAIN_SHAPES))]
        return name, MAIN_SHAPES[name]
    return "random_polygon", random_polygon(rng)


def random_polygon(rng: np.random.Generator) -> np.ndarray:
    """5-9 vertices at jittered angles and radii 0.3-1: irregular, so its turning is visible."""
    count = int(rng.integers(5, 10))
    angles = np.sort(rng.uniform(0.0, 2.0 * np.pi, count))
    radii = rng.uniform(0.3, 1.0, count)
    radii[rng.integers(count)] = 1.0  # one clear tip
    return scene.normalise_shape(list(zip(radii * np.cos(angles), radii * np.sin(angles))))


def object_fill(style: str, colour: np.ndarray, second: np.ndarray, stripes: float, motion: scene.Motion,
                index: int, grid: np.ndarray) -> np.ndarray:
    """The object's colours [H, W, 3] (or [3]), painted in the object's own frame so they turn and scale with it."""
    if style in ("solid", "outline"):
        return colour.astype(np.float32)
    theta = np.deg2rad(motion.angle[index])
    dx, dy = grid[1] - motion.center_x[index], motion.center_y[index] - grid[0]  # y up
    u = (dx * np.cos(theta) + dy * np.sin(theta)) / motion.radius[index]
    v = (-dx * np.sin(theta) + dy * np.cos(theta)) / motion.radius[index]
    if style == "stripes":
        weight = (np.sin(u * np.pi * stripes) > 0).astype(np.float32)
    elif style == "two_tone":
        weight = (v > 0).astype(np.float32)
    else:
        weight = np.clip((u + 1.0) / 2.0, 0.0, 1.0).astype(np.float32)
    return colour + weight[..., None] * (second - colour).astype(np.float32)


def main_points(vertices: np.ndarray, motion: scene.Motion, index: int) -> np.ndarray:
    placed = scene.place_shape(vertices, motion.center_x[index], motion.center_y[index],
                               motion.radius[index], motion.angle[index])
    return np.round(placed * (1 << SUBPIXEL_BITS)).astype(np.int32)


def main_background(timing: scene.Timing, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """A solid, gradient, blotchy, striped, checkered or multi-scale-noise background of two colours,
    and its colour blend segments."""
    first, second = scene.random_colour(rng), scene.random_colour(rng)
    height, width = timing.height, timing.width
    kind = BACKGROUND_KINDS[rng.integers(len(BACKGROUND_KINDS))]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    if kind == "solid":
        return np.broadcast_to(first, (height, width, 3)).astype(np.float32), [(first, first)]
    if kind == "gradient":
        theta = rng.uniform(0.0, 2.0 * np.pi)
        along = cols * np.cos(theta) + rows * np.sin(theta)
        weight = (along - along.min()) / max(along.max() - along.min(), 1e-9)
    elif kind in ("stripes", "checker"):
        period = rng.uniform(0.06, 0.2) * min(width, height)
        theta = rng.uniform(0.0, np.pi)
        along = cols * np.cos(theta) + rows * np.sin(theta)
        across = -cols * np.sin(theta) + rows * np.cos(theta)
        weight = (np.floor(along / period) % 2).astype(float)
        if kind == "checker":
            weight = (weight + np.floor(across / period)) % 2
        weight = cv2.GaussianBlur(weight, (0, 0), 0.6)
    else:
        octaves = (3, 9) if kind == "textured" else (4, 16, 48)
        weight = np.zeros((height, width))
        for level, cells in enumerate(octaves):
            grid = rng.uniform(0.0, 1.0, size=(int(cells * height / max(height, width)) + 2, cells + 2))
            weight += cv2.resize(grid, (width, height), interpolation=cv2.INTER_CUBIC) / 2 ** level
        weight = (weight - weight.min()) / max(np.ptp(weight), 1e-9)
        weight = np.clip(weight + rng.normal(0.0, 0.05, size=(height, width)), 0.0, 1.0)
    image = first + weight[..., None] * (second - first)
    return image.astype(np.float32), [(first, second)]


def main_distractors(timing: scene.Timing, motion: scene.Motion, main_colour: np.ndarray,
                     rng: np.random.Generator) -> list[Callable[[np.ndarray, int], None]]:
    """Small circles, squares and triangles moving in straight lines in random directions, bouncing off the
    edges (some standing still)."""
    draws = []
    for _ in range(scene.distractor_count(rng, most=4)):
        radius = rng.uniform(*scene.DISTRACTOR_RADIUS_FRACTION) * float(motion.radius.min())
        colour = scene.contrasting_colour(rng, [(main_colour, main_colour)]).tolist()
        start = rng.uniform([radius, radius], [timing.width - radius, timing.height - radius])
        heading = rng.uniform(0.0, 2.0 * np.pi)
        speed = rng.uniform(*DISTRACTOR_SPEED) * min(timing.width, timing.height) / timing.num_frames
        speed *= float(rng.uniform() < 0.8)
        velocity = speed * np.array([np.cos(heading), np.sin(heading)])
        path = bounce(start, velocity, timing, radius)
        sides = int(rng.choice([0, 3, 4]))  # 0 draws a circle
        spin = rng.uniform(0.0, 360.0)
        draws.append(make_distractor_draw(path, radius, sides, spin, colour))
    return draws


def make_distractor_draw(path: np.ndarray, radius: float, sides: int, spin: float, colour: list) -> Callable:
    def draw(canvas: np.ndarray, index: int) -> None:
        x, y = path[index]
        if sides == 0:
            cv2.circle(canvas, (int(round(x)), int(round(y))), max(1, int(round(radius))), colour, -1, cv2.LINE_AA)
            return
        polygon = np.array(scene.arc((0.0, 0.0), 1.0, spin, spin + 360.0, sides + 1)[:-1])
        points = scene.place_shape(polygon, x, y, radius, 0.0)
        cv2.fillPoly(canvas, [np.round(points * (1 << SUBPIXEL_BITS)).astype(np.int32)], colour,
                     cv2.LINE_AA, SUBPIXEL_BITS)

    return draw


def bounce(start: np.ndarray, velocity: np.ndarray, timing: scene.Timing, radius: float) -> np.ndarray:
    """Positions [T, 2] of a point moving at ``velocity`` per frame, reflected at the frame's edges."""
    low = np.array([radius, radius])
    span = np.maximum(np.array([timing.width, timing.height]) - 2.0 * radius, 1.0)
    free = start - low + np.arange(timing.num_frames)[:, None] * velocity
    folded = np.mod(free, 2.0 * span)
    return low + np.where(folded > span, 2.0 * span - folded, folded)


# ----------------------------------------------------------------------------- alternative renderer

def render_alt(label: str, timing: scene.Timing, rng: np.random.Generator, with_masks: bool) -> Clip:
    motion = scene.sample_motion(label, timing, rng, scene.eased_progress)
    shape_name = sorted(ALT_SHAPES)[rng.integers(len(ALT_SHAPES))]
    background, background_colours = alt_background(timing, rng)
    colour = scene.contrasting_colour(rng, background_colours)
    outline = tuple(int(c) for c in colour * 0.55)
    distractors = alt_distractors(timing, motion, colour, rng)
    amplitude = rng.uniform(*ALT_NOISE_AMPLITUDE)
    scale = ALT_SUPERSAMPLE
    big_background = Image.fromarray(background).resize((timing.width * scale, timing.height * scale), Image.NEAREST)
    frames = np.empty((timing.num_frames, timing.height, timing.width, 3), np.uint8)
    masks = np.zeros((timing.num_frames, timing.height, timing.width), bool) if with_masks else None
    for index in range(timing.num_frames):
        image = big_background.copy()
        draw = ImageDraw.Draw(image)
        for center, radius, ring_colour, ring_width in distractors:
            x, y = center[index] * scale
            box = [x - radius * scale, y - radius * scale, x + radius * scale, y + radius * scale]
            draw.ellipse(box, outline=ring_colour, width=ring_width * scale)
        points = scene.place_shape(ALT_SHAPES[shape_name], motion.center_x[index], motion.center_y[index],
                                   motion.radius[index], motion.angle[index]) * scale
        polygon = [tuple(point) for point in points]
        draw.polygon(polygon, fill=tuple(int(c) for c in colour), outline=outline, width=1)
        small = np.asarray(image.resize((timing.width, timing.height), Image.BOX), dtype=np.float32)
        flicker = 1.0 + rng.uniform(-ALT_FLICKER, ALT_FLICKER)
        noise = rng.uniform(-amplitude, amplitude, size=small.shape).astype(np.float32)
        frames[index] = np.clip(small * flicker + noise, 0, 255).astype(np.uint8)
        if masks is not None:
            mask = Image.new("L", image.size, 0)
            ImageDraw.Draw(mask).polygon(polygon, fill=255)
            masks[index] = np.asarray(mask.resize((timing.width, timing.height), Image.BOX)) >= 128
    return Clip(frames, label, timing.fps, motion, tuple(int(c) for c in colour), shape_name, "alt", masks)


def alt_background(timing: scene.Timing, rng: np.random.Generator) -> tuple[np.ndarray, list]:
    """Stripes, a checkerboard, a radial gradient or dots, in two colours."""
    first, second = scene.random_colour(rng), scene.random_colour(rng)
    rows, cols = np.mgrid[0:timing.height, 0:timing.width].astype(np.float64)
    period = rng.uniform(6.0, 24.0)
    kind = ("stripes", "checker", "radial", "dots")[rng.integers(4)]
    if kind == "stripes":
        theta = rng.uniform(0.0, np.pi)
        weight = (np.sin((cols * np.cos(theta) + rows * np.sin(theta)) * 2.0 * np.pi / period) > 0).astype(float)
    elif kind == "checker":
        weight = ((cols // period + rows // period) % 2).astype(float)
    elif kind == "radial":
        cx, cy = rng.uniform(0, timing.width), rng.uniform(0, timing.height)
        distance = np.hypot(cols - cx, rows - cy)
        weight = distance / distance.max()
    else:
        weight = ((np.mod(cols, period) - period / 2) ** 2 + (np.mod(rows, period) - period / 2) ** 2
                  < (period / 4) ** 2).astype(float)
    image = first + weight[..., None] * (second - first)
    return image.astype(np.uint8), [(first, second)]


def alt_distractors(timing: scene.Timing, motion: scene.Motion, main_colour: np.ndarray,
                    rng: np.random.Generator) -> list[tuple[np.ndarray, float, tuple, int]]:
    """Rings on random Lissajous paths: (centres [T, 2], radius, colour, line width)."""
    distractors = []
    frames = np.arange(timing.num_frames)
    for _ in range(scene.distractor_count(rng)):
        radius = rng.uniform(*scene.DISTRACTOR_RADIUS_FRACTION) * float(motion.radius.min())
        colour = tuple(int(c) for c in scene.contrasting_colour(rng, [(main_colour, main_colour)]))
        centres = []
        for extent in (timing.width, timing.height):
            middle = rng.uniform(radius, extent - radius)
            amplitude = rng.uniform(0.0, min(middle - radius, extent - radius - middle))
            cycles = rng.uniform(0.2, 1.2)  # oscillations over the clip
            phase = rng.uniform(0.0, 2.0 * np.pi)
            centres.append(middle + amplitude * np.sin(2.0 * np.pi * cycles * frames / timing.num_frames + phase))
        distractors.append((np.stack(centres, axis=1), radius, colour, int(rng.integers(1, 3))))
    return distractors


Renderer = Callable[[str, scene.Timing, np.random.Generator, bool], Clip]
RENDERERS: dict[str, Renderer] = {"main": render_main, "alt": render_alt}
