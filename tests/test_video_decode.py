"""Decoding both containers: frame counts, shapes, uniform sampling, short clips, huge frames."""
import numpy as np
import pytest

from apps.video.decode import iter_frames, load_clip, sample_indices, video_info
from apps.video.encode import write_video

# Frame i is a flat grey of level BASE + STEP * i, so a decoded frame tells which one it was.
BASE, STEP = 10, 12
CODEC_TOLERANCE = 6 / 255  # mp4v and MJPG shift a flat grey by a few levels


def grey_ramp(count: int, height: int = 72, width: int = 96) -> np.ndarray:
    return np.stack([np.full((height, width, 3), BASE + STEP * i, np.uint8) for i in range(count)])


def frame_numbers(clip: np.ndarray) -> np.ndarray:
    """Which source frame each decoded frame shows, from its grey level."""
    return np.round((clip.mean(axis=(1, 2, 3)) * 255 - BASE) / STEP).astype(int)


@pytest.fixture(params=[".mp4", ".avi"])
def ramp_file(request, tmp_path):
    path = tmp_path / f"ramp{request.param}"
    write_video(path, grey_ramp(20), fps=15)
    return path


def test_both_containers_decode_every_frame(ramp_file):
    info = video_info(ramp_file)
    assert (info["frames"], info["width"], info["height"], info["fps"]) == (20, 96, 72, 15.0)
    clip = load_clip(ramp_file, num_frames=20, size=(72, 96))
    assert clip.shape == (20, 72, 96, 3) and clip.dtype == np.float32
    assert 0.0 <= clip.min() and clip.max() <= 1.0
    expected = (BASE + STEP * np.arange(20)) / 255
    assert np.abs(clip.mean(axis=(1, 2, 3)) - expected).max() < CODEC_TOLERANCE
    assert list(frame_numbers(clip)) == list(range(20))


def test_uniform_sampling_spreads_over_the_whole_clip(ramp_file):
    clip = load_clip(ramp_file, num_frames=5, size=(32, 32))
    assert clip.shape == (5, 32, 32, 3)
    assert list(frame_numbers(clip)) == [0, 5, 10, 14, 19]  # round(linspace(0, 19, 5))
    assert list(sample_indices(21, 5)) == [0, 5, 10, 15, 20]
    assert list(sample_indices(10, 4)) == [0, 3, 6, 9]
    assert list(sample_indices(16, 16)) == list(range(16))


def test_short_clips_are_padded_or_looped(tmp_path):
    assert list(sample_indices(3, 7, "pad")) == [0, 1, 2, 2, 2, 2, 2]
    assert list(sample_indices(3, 7, "loop")) == [0, 1, 2, 0, 1, 2, 0]
    for suffix in (".mp4", ".avi"):
        path = tmp_path / f"short{suffix}"
        write_video(path, grey_ramp(3), fps=10)
        assert list(frame_numbers(load_clip(path, 8, (16, 16)))) == [0, 1, 2, 2, 2, 2, 2, 2]
        assert list(frame_numbers(load_clip(path, 8, (16, 16), short_clip="loop"))) == [0, 1, 2, 0, 1, 2, 0, 1]
    with pytest.raises(ValueError):
        sample_indices(3, 7, "stretch")


def test_huge_frames_are_resized_keeping_the_picture(tmp_path):
    # A 4K clip, left half red, right half blue.
    frames = np.zeros((2, 2160, 3840, 3), np.uint8)
    frames[:, :, :1920, 0] = 255
    frames[:, :, 1920:, 2] = 255
    path = tmp_path / "huge.avi"
    write_video(path, frames, fps=10)
    clip = load_clip(path, num_frames=16, size=(64, 64))
    assert clip.shape == (16, 64, 64, 3)
    left, right = clip[:, :, :30], clip[:, :, 34:]
    assert left[..., 0].min() > 0.9 and left[..., 2].max() < 0.1
    assert right[..., 2].min() > 0.9 and right[..., 0].max() < 0.1


def test_streaming_iterator_gives_the_same_frames_one_by_one(ramp_file):
    frames = list(iter_frames(ramp_file, size=(24, 32)))
    assert len(frames) == 20 and frames[0].shape == (24, 32, 3) and frames[0].dtype == np.float32
    whole = load_clip(ramp_file, num_frames=20, size=(24, 32))
    np.testing.assert_array_equal(np.stack(frames), whole)
    native = next(iter_frames(ramp_file, size=None))
    assert native.shape == (72, 96, 3)
