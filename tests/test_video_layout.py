"""prepare-data's UCF101-style folder layout, its splits, and reading folders back (arrays and tf.data)."""
import csv
import json
from pathlib import Path

import numpy as np
import pytest

from apps.video.classes import CLASSES
from apps.video.data import render_folder
from apps.video.decode import video_info
from apps.video.ucf101 import load_arrays, scan_folder, split_by_index, split_by_name, tf_dataset
from suite.app import main
from suite.errors import UserError

CLIPS_PER_CLASS = 3


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    out = tmp_path_factory.mktemp("video") / "clips"
    assert main("video", ["prepare-data", "--out", str(out), "--clips-per-class", str(CLIPS_PER_CLASS), "--seed", "3"]) == 0
    return out


def test_folder_layout(generated):
    assert sorted(entry.name for entry in generated.iterdir()) == sorted([*CLASSES, "dataset.json", "splits.csv"])
    for label in CLASSES:
        names = sorted(file.name for file in (generated / label).iterdir())
        assert names == [f"{label}_00000.mp4", f"{label}_00001.avi", f"{label}_00002.mp4"]
    assert not [entry for entry in generated.parent.iterdir() if ".tmp-" in entry.name]  # temp folder renamed
    metadata = json.loads((generated / "dataset.json").read_text())
    assert metadata["classes"] == list(CLASSES) and metadata["clips_per_class"] == CLIPS_PER_CLASS
    for file in (generated / "zoom_in").iterdir():
        info = video_info(file)
        assert 12 <= info["frames"] <= 72 and info["width"] % 2 == 0 and info["height"] % 2 == 0


def test_splits_file_and_scan(generated):
    with (generated / "splits.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(CLASSES) * CLIPS_PER_CLASS
    assert {row["path"]: row["split"] for row in rows}["move_up/move_up_00002.mp4"] == "test"
    folder = scan_folder(generated)
    assert folder.class_names == tuple(sorted(CLASSES))
    assert len(folder.files) == 24 and folder.labels.dtype == np.int32
    assert all(folder.class_names[label] == file.parent.name for file, label in zip(folder.files, folder.labels))
    assert folder.counts()["rotate_cw"] == {"train": 1, "validation": 1, "test": 1}
    test = folder.subset("test")
    assert len(test.files) == 8 and all(file.stem.endswith("00002") for file in test.files)
    ordered = scan_folder(generated, class_names=CLASSES)  # a trained model's label order
    assert [ordered.class_names[label] for label in ordered.labels[:3]] == [file.parent.name for file in ordered.files[:3]]
    with pytest.raises(UserError, match="not among the model's classes"):
        scan_folder(generated, class_names=CLASSES[:4])


def test_same_seed_renders_the_same_clips(generated, tmp_path):
    # Each clip's seed depends on (seed, renderer, class, index) only, not on the clip count.
    again = tmp_path / "again"
    summary = render_folder(again, clips_per_class=1, seed=3, show_progress=False)
    assert summary["clips"] == 8
    for label in CLASSES:
        relative = f"{label}/{label}_00000.mp4"
        assert (again / relative).read_bytes() == (generated / relative).read_bytes()
    assert (again / "splits.csv").read_text().splitlines()[1] == "move_left/move_left_00000.mp4,train"


def test_split_rules():
    splits = [split_by_index(index, 100) for index in range(100)]
    assert (splits.count("train"), splits.count("validation"), splits.count("test")) == (80, 10, 10)
    assert splits[79] == "train" and splits[80] == "validation" and splits[90] == "test"
    assert [split_by_index(index, 2) for index in range(2)] == ["train", "train"]
    # UCF101 names: every clip of one group (g08) lands in the same split.
    assert len({split_by_name(f"v_Biking_g08_c0{clip}.avi") for clip in range(1, 6)}) == 1
    names = [split_by_name(f"v_Biking_g{group:03d}_c01.avi") for group in range(2000)]
    assert 0.75 < names.count("train") / 2000 < 0.85 and 0.07 < names.count("test") / 2000 < 0.13


def test_folder_without_splits_file_uses_the_name_rule(tmp_path):
    for name in ("v_Jump_g01_c01.avi", "v_Jump_g01_c02.avi", "v_Jump_g02_c01.mp4", "notes.txt"):
        (tmp_path / "Jump" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "Jump" / name).write_bytes(b"")
    (tmp_path / "Empty").mkdir()
    folder = scan_folder(tmp_path)
    assert folder.class_names == ("Jump",) and len(folder.files) == 3
    assert folder.splits[0] == folder.splits[1] == split_by_name("v_Jump_g01_c01.avi")


def test_arrays_with_cache_and_tf_dataset(generated, tmp_path):
    folder = scan_folder(generated, class_names=CLASSES).subset("train")
    cache = tmp_path / "cache"
    clips = load_arrays(folder.files, num_frames=8, size=(32, 32), cache_dir=cache, show_progress=False)
    assert clips.shape == (8, 8, 32, 32, 3) and clips.dtype == np.uint8
    assert len(list(cache.glob("*.npy"))) == 8
    cached = load_arrays(folder.files, num_frames=8, size=(32, 32), cache_dir=cache, show_progress=False)
    np.testing.assert_array_equal(clips, cached)

    dataset = tf_dataset(folder.files, folder.labels, num_frames=8, size=(32, 32), batch_size=3)
    batches = list(dataset.as_numpy_iterator())
    assert [batch[0].shape for batch in batches] == [(3, 8, 32, 32, 3), (3, 8, 32, 32, 3), (2, 8, 32, 32, 3)]
    frames = np.concatenate([batch[0] for batch in batches])
    labels = np.concatenate([batch[1] for batch in batches])
    assert frames.dtype == np.float32 and list(labels) == list(folder.labels)
    np.testing.assert_allclose(frames, clips / 255.0, atol=1e-6)
    shuffled = np.concatenate([batch[1] for batch in tf_dataset(folder.files, folder.labels, 8, (32, 32),
                                                                  batch_size=8, shuffle=True).as_numpy_iterator()])
    assert sorted(shuffled) == sorted(folder.labels)


def test_make_data_refuses_a_non_empty_folder(generated, capsys):
    before = sorted(path.name for path in generated.rglob("*"))
    assert main("video", ["prepare-data", "--out", str(generated), "--clips-per-class", "1"]) == 2
    assert "not empty" in capsys.readouterr().err
    assert sorted(path.name for path in generated.rglob("*")) == before
