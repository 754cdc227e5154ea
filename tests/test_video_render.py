"""Label semantics of both training renderers, checked on the ground-truth trajectory AND on the pixels.

The main object's pixels are the renderer's own mask, checked against the frame: the object stands out
from the ring of pixels just around it (its fill, textured or not, is kept far from the background's
colours). The alt renderer's object is also found by its fill colour. Image rows grow downwards, so
"up" is a decreasing centroid row, and a rotation counter-clockwise AS SEEN ON SCREEN is measured with
that flip written out below. The main renderer adds small nuisance motions (drift, turn, size change)
well below each class's own motion, and may hold the object still at the ends of a clip.
"""
import cv2
import numpy as np
import pytest

from apps.video import scene
from apps.video.classes import CLASSES, DIRECTION_PAIRS, partner
from apps.video.render import RENDERERS, render_clip

SEEDS = (11, 12)  # 12 seeds per class and renderer also pass; two keep the file fast
# Main-renderer seeds whose object has a solid fill, so its pixels are found by colour too (every class).
SOLID_SEEDS = {"main": (32,), "alt": ()}
COLOUR_TOLERANCE = 60.0  # RGB distance; the object is >= 110 away from every other colour, noise sigma <= 7
CENTROID_TOLERANCE_PX = 2.0
# Share of the renderer's object mask that has the fill colour; the alt renderer draws a dark outline.
MIN_FILL_COVERAGE = {"main": 0.9, "alt": 0.35}  # main: blurred edges lose the fill colour


def object_mask(frame: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    """Pixels near the object's colour, largest connected blob only (drops stray blended edge pixels)."""
    near = np.linalg.norm(frame.astype(np.float64) - np.array(colour), axis=-1) < COLOUR_TOLERANCE
    count, labels, stats, _ = cv2.connectedComponentsWithStats(near.astype(np.uint8), connectivity=8)
    assert count > 1, "the main object is not visible"
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == largest


def centroid(mask: np.ndarray) -> np.ndarray:
    rows, cols = np.nonzero(mask)
    return np.array([cols.mean(), rows.mean()])  # (x, y), y down


def rotation_between(first: np.ndarray, second: np.ndarray, search_degrees: float = 45.0) -> float:
    """The turn (degrees, counter-clockwise as seen on screen) that best maps mask ``first`` onto ``second``.

    A screen-CCW turn by t moves a pixel offset (dx, dy) (dy down) to
    (dx cos t + dy sin t, -dx sin t + dy cos t): e.g. a point right of the centre goes up.
    """
    rows, cols = np.nonzero(first)
    dx, dy = cols - cols.mean(), rows - rows.mean()
    target_x, target_y = centroid(second)
    best_angle, best_hits = 0.0, -1
    for angle in np.arange(-search_degrees, search_degrees + 0.25, 0.5):
        t = np.deg2rad(angle)
        x = np.round(target_x + dx * np.cos(t) + dy * np.sin(t)).astype(int)
        y = np.round(target_y - dx * np.sin(t) + dy * np.cos(t)).astype(int)
        inside = (x >= 0) & (x < second.shape[1]) & (y >= 0) & (y < second.shape[0])
        hits = int(second[y[inside], x[inside]].sum())
        if hits > best_hits:
            best_angle, best_hits = angle, hits
    return best_angle


def test_rotation_measure_follows_the_screen_convention():
    # An arrow pointing right, turned 20 degrees counter-clockwise on screen, points up-right.
    arrow = np.array([(-60, -10), (30, -10), (30, -25), (60, 0), (30, 25), (30, 10), (-60, 10)], float)
    masks = []
    for turn in (0.0, 20.0):
        t = np.deg2rad(turn)
        x = 100 + arrow[:, 0] * np.cos(t) - arrow[:, 1] * np.sin(t)
        y = 100 - (arrow[:, 0] * np.sin(t) + arrow[:, 1] * np.cos(t))
        mask = np.zeros((200, 200), np.uint8)
        cv2.fillPoly(mask, [np.round(np.stack([x, y], 1)).astype(np.int32)], 1)
        masks.append(mask.astype(bool))
    tip_rows = [np.nonzero(mask[:, 150:])[0].min() for mask in masks]
    assert tip_rows[1] < tip_rows[0]  # the tip went up the screen
    assert rotation_between(masks[0], masks[1]) == pytest.approx(20.0, abs=1.5)
    assert rotation_between(masks[1], masks[0]) == pytest.approx(-20.0, abs=1.5)


def test_same_seed_same_clip_and_renderers_differ():
    first = render_clip("rotate_cw", 5)
    again = render_clip("rotate_cw", 5)
    other = render_clip("rotate_cw", 6)
    alt = render_clip("rotate_cw", 5, renderer="alt")
    assert np.array_equal(first.frames, again.frames)
    assert first.frames.shape != other.frames.shape or not np.array_equal(first.frames, other.frames)
    assert first.shape != alt.shape and alt.renderer == "alt"
    assert first.frames.dtype == np.uint8 and first.frames.ndim == 4 and first.frames.shape[-1] == 3


def test_clips_vary_in_size_length_and_rate():
    clips = [render_clip(CLASSES[seed % 8], seed) for seed in range(24)]
    assert len({clip.frames.shape[1:3] for clip in clips}) >= 5
    assert len({len(clip.frames) for clip in clips}) >= 8
    assert len({clip.fps for clip in clips}) >= 4
    assert len({clip.shape for clip in clips}) >= 5
    lengths = [len(clip.frames) for clip in clips]
    assert min(lengths) >= scene.FRAME_COUNT_LIMITS[0] and max(lengths) <= scene.FRAME_COUNT_LIMITS[1]


@pytest.mark.parametrize("renderer", sorted(RENDERERS))
@pytest.mark.parametrize("label", CLASSES)
def test_ground_truth_and_pixels_agree_with_the_label(renderer, label):
    for seed in SEEDS + SOLID_SEEDS[renderer]:
        clip = render_clip(label, seed, renderer=renderer, with_masks=True)
        motion = clip.motion
        masks = list(clip.masks)
        if clip.fill == "solid":  # one fill colour: the pixels of that colour are where the mask says
            found = [object_mask(frame, clip.main_colour) for frame in clip.frames]
            near_truth = [cv2.dilate(mask.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0 for mask in masks]
            assert min(np.logical_and(a, b).sum() / a.sum() for a, b in zip(found, near_truth)) > 0.98
            covered = [np.logical_and(a, b).sum() / b.sum() for a, b in zip(found, masks)]
            assert min(covered) > MIN_FILL_COVERAGE[renderer], (label, seed)
            masks = found
        centres = np.array([centroid(mask) for mask in masks])
        areas = np.array([mask.sum() for mask in masks], float)
        truth = np.stack([motion.center_x, motion.center_y], 1)
        assert np.abs(centres - truth).max() < CENTROID_TOLERANCE_PX + 0.1 * motion.radius.max(), (label, seed)
        # The whole object stays inside the frame.
        height, width = clip.frames.shape[1:3]
        assert np.all(motion.center_x - motion.radius >= -0.5) and np.all(motion.center_x + motion.radius <= width + 0.5)
        assert np.all(motion.center_y - motion.radius >= -0.5) and np.all(motion.center_y + motion.radius <= height + 0.5)
        check_label(label, motion, centres, areas, masks, min(width, height))


def monotone(values: np.ndarray, increasing: bool) -> bool:
    """Never against the direction (steps of zero are the held ends of a clip)."""
    steps = np.diff(values)
    return bool(np.all(steps >= -1e-9) if increasing else np.all(steps <= 1e-9)) and np.ptp(values) > 0


def check_label(label, motion, centres, areas, masks, side):
    moved_x, moved_y = centres[-1] - centres[0]
    drift = scene.NUISANCE_SHIFT * side + 2.0  # the most a rotation or zoom may wander, plus pixel error
    if label in ("move_left", "move_right"):
        assert monotone(motion.center_x, label == "move_right")
        assert abs(moved_x) > 10 and abs(moved_y) <= scene.NUISANCE_DRIFT * abs(moved_x) + 2.0
        assert (moved_x > 0) == (label == "move_right")
    elif label in ("move_up", "move_down"):  # rows decrease going up the screen
        assert monotone(motion.center_y, label == "move_down")
        assert abs(moved_y) > 10 and abs(moved_x) <= scene.NUISANCE_DRIFT * abs(moved_y) + 2.0
        assert (moved_y > 0) == (label == "move_down")
    elif label in ("zoom_in", "zoom_out"):
        growing = label == "zoom_in"
        assert monotone(motion.radius, growing)
        ratio = areas[-1] / areas[0]
        assert (ratio > 1.8) if growing else (ratio < 1 / 1.8)
        assert np.abs(centres - centres[0]).max() < drift
    else:
        ccw = label == "rotate_ccw"
        assert monotone(motion.angle, ccw)
        # Compare key frames about 15-40 degrees apart: tiny eased steps are below pixel resolution.
        keys = [0]
        for index in range(1, len(masks)):
            if abs(motion.angle[index] - motion.angle[keys[-1]]) >= 15.0:
                keys.append(index)
        turns = np.array([rotation_between(masks[a], masks[b]) for a, b in zip(keys[:-1], keys[1:])])
        truth = np.diff(motion.angle[keys])
        assert len(turns) >= 3 and np.all(np.sign(turns) == np.sign(truth))
        assert np.sum(turns) == pytest.approx(np.sum(truth), rel=0.2)
        assert abs(areas[-1] / areas[0] - 1.0) < 0.4  # at most the nuisance size change
        assert np.abs(centres - centres[0]).max() < drift


def test_pairs_are_time_reversals_in_distribution():
    # Within a pair the frame-level statistics match: mean position, size and angle spread
    # over many clips are equal up to sampling noise, so one frame cannot tell the pair apart.
    for first, second in DIRECTION_PAIRS:
        assert partner(first) == second and partner(second) == first
        stats = {}
        for label in (first, second):
            motions = [scene.sample_motion(label, scene.Timing(160, 120, 15.0, 24), np.random.default_rng(seed),
                                           scene.linear_progress) for seed in range(400)]
            stats[label] = (np.mean([m.center_x.mean() for m in motions]), np.mean([m.center_y.mean() for m in motions]),
                            np.mean([m.radius.mean() for m in motions]))
        assert np.allclose(stats[first], stats[second], atol=3.0), (first, second, stats)
