"""The independent renderer (apps/video/independent.py): deterministic, well-formed, labelled right as
measured on its pixels, sharing no code with the training renderer, and reachable from make-data and
evaluate."""
import ast
import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from apps.video import independent
from apps.video.classes import CLASSES
from apps.video.independent import render_independent
from suite.app import main
from tests.test_video_render import centroid, rotation_between

SEEDS = (3, 4)
SHIPPED = Path(__file__).resolve().parents[1] / "saved_models" / "video"
TRAINING_MODULES = {"apps.video.render", "apps.video.scene", "apps.video.shapes", "apps.video.data",
                    "apps.video.pretext", "apps.video.calibration", "cv2", "PIL"}


def test_same_seed_same_clip():
    first, again, other = (render_independent("rotate_cw", seed) for seed in (5, 5, 6))
    assert np.array_equal(first.frames, again.frames) and np.array_equal(first.masks, again.masks)
    assert first.frames.shape != other.frames.shape or not np.array_equal(first.frames, other.frames)


def test_shapes_sizes_and_rates():
    clips = [render_independent(CLASSES[seed % 8], seed) for seed in range(10)]
    for clip in clips:
        count, height, width, channels = clip.frames.shape
        assert clip.frames.dtype == np.uint8 and channels == 3 and (width, height) in independent.CANVASES
        assert independent.FRAMES[0] <= count <= independent.FRAMES[1] and clip.fps in independent.RATES
        assert clip.masks.shape == (count, height, width) and clip.masks.dtype == bool
        assert all(mask.sum() > 20 for mask in clip.masks)  # the object is always in view
    assert len({clip.frames.shape[1:3] for clip in clips}) >= 4 and len({clip.shape for clip in clips}) >= 4
    with pytest.raises(ValueError, match="unknown class"):
        render_independent("jump", 0)


def test_shares_no_code_with_the_training_renderer():
    tree = ast.parse(Path(independent.__file__).read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    imported |= {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    assert imported <= {"__future__", "dataclasses", "typing", "numpy", "apps.video.classes"}
    assert not imported & TRAINING_MODULES


def key_turns(masks, heading):
    """Measured turns (degrees, screen CCW) between key frames 15+ degrees apart, and the true ones."""
    degrees = np.rad2deg(heading)
    keys = [0]
    for index in range(1, len(masks)):
        if abs(degrees[index] - degrees[keys[-1]]) >= 15.0:
            keys.append(index)
    measured = [rotation_between(masks[a], masks[b], search_degrees=60.0) for a, b in zip(keys[:-1], keys[1:])]
    return np.array(measured), np.diff(degrees[keys])


@pytest.mark.parametrize("label", CLASSES)
def test_pixels_show_the_labelled_motion(label):
    for seed in SEEDS:
        clip = render_independent(label, seed)
        centres = np.array([centroid(mask) for mask in clip.masks])
        areas = clip.masks.sum(axis=(1, 2)).astype(float)
        moved_x, moved_y = centres[-1] - centres[0]
        side = min(clip.frames.shape[1:3])
        if label in ("move_left", "move_right"):
            assert abs(moved_x) > 0.1 * side and abs(moved_y) < 0.05 * side + 2
            assert (moved_x > 0) == (label == "move_right")  # screen x grows to the right
        elif label in ("move_up", "move_down"):
            assert abs(moved_y) > 0.1 * side and abs(moved_x) < 0.05 * side + 2
            assert (moved_y > 0) == (label == "move_down")  # rows grow downwards
        elif label in ("zoom_in", "zoom_out"):
            ratio = areas[-1] / areas[0]
            assert (ratio > 2.0) if label == "zoom_in" else (ratio < 0.5)
            trend = np.corrcoef(np.arange(len(areas)), areas)[0, 1]
            assert trend > 0.9 if label == "zoom_in" else trend < -0.9
            assert np.abs(centres - centres.mean(0)).max() < 0.25 * side
        else:
            measured, truth = key_turns(clip.masks, clip.pose.heading)
            assert len(measured) >= 2 and np.all(np.sign(truth) == (1 if label == "rotate_ccw" else -1))
            assert np.all(np.sign(measured) == np.sign(truth)), (label, seed, measured, truth)
            assert abs(areas[-1] / areas[0] - 1.0) < 0.3 and np.abs(centres - centres.mean(0)).max() < 0.25 * side


def test_make_data_and_evaluate_use_it(tmp_path, monkeypatch, capsys):
    out = tmp_path / "independent"
    assert main("video", ["make-data", "--out", str(out), "--clips-per-class", "1", "--renderer", "independent",
                          "--seed", "2"]) == 0
    assert json.loads((out / "dataset.json").read_text())["renderer"] == "independent"
    clip = render_independent("zoom_in", np.random.SeedSequence([2, 2, CLASSES.index("zoom_in"), 0]))
    capture = cv2.VideoCapture(str(out / "zoom_in" / "zoom_in_00000.mp4"))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == len(clip.frames)  # the clip of that seed, written
    capture.release()
    capsys.readouterr()
    monkeypatch.setenv("RNN_SUITE_CACHE", str(tmp_path / "cache"))
    assert main("video", ["evaluate", "--renderer", "independent", "--clips-per-class", "1", "--backend", "tflite",
                          "--model", str(SHIPPED), "--no-plot", "--json"]) == 0
    record = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert record["examples"] == 8 and record["renderer"] == "independent" and set(record["per_class_accuracy"]) == set(CLASSES)
    with pytest.raises(SystemExit) as refused:  # one source only: argparse's one-line error
        main("video", ["evaluate", "--renderer", "independent", "--data", str(out)])
    assert refused.value.code == 2
