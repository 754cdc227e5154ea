"""Google's two folder layouts: the full release (word folders, _background_noise_, list files) and the official
test set (_silence_/ and _unknown_/ beside the ten keywords, nothing else), fabricated from a generated folder."""
from __future__ import annotations

import collections
import shutil
from pathlib import Path

import numpy as np
import pytest

from apps.speech import dataset, noise
from apps.speech.audio import write_wav
from apps.speech.commands.evaluate import evaluate_folder
from apps.speech.labels import BACKGROUND_FOLDER, CLIP_SAMPLES, KEYWORDS, LABEL_INDEX, LABELS, SILENCE, UNKNOWN
from tests.speech_fixtures import generated

SILENCE_CLIPS = 4


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> Path:
    """A generated folder dressed as the full release: README in the noise folder, LICENSE and README at the top."""
    folder = generated(tmp_path_factory, "speech_release", per_word=3, seed=5)
    (folder / BACKGROUND_FOLDER / "README.md").write_text("noise files\n")
    (folder / "LICENSE").write_text("CC-BY-4.0\n")
    (folder / "README.md").write_text("Speech Commands\n")
    return folder


@pytest.fixture(scope="module")
def test_set(release: Path, tmp_path_factory) -> Path:
    """The official test-set layout made of the release folder's test clips: keywords in their folders, every other
    word in _unknown_/, 1 s noise crops in _silence_/; no lists, no _background_noise_."""
    out = tmp_path_factory.mktemp("speech_test_set")
    for line in (release / "testing_list.txt").read_text().split():
        word, name = line.split("/")
        target = out / (word if word in KEYWORDS else UNKNOWN) / f"{word}_{name}"
        target.parent.mkdir(exist_ok=True)
        shutil.copy(release / line, target)
    (out / SILENCE).mkdir()
    for index in range(SILENCE_CLIPS):
        rng = np.random.default_rng(index)
        write_wav(out / SILENCE / f"noise_{index}.wav", 0.01 * index * noise.make_noise("pink", CLIP_SAMPLES, rng))
    return out


def label_counts(examples: list[dataset.Example]) -> dict[str, int]:
    return dict(collections.Counter(LABELS[example.label] for example in examples))


def test_test_set_layout_takes_every_clip_with_its_folder_label(test_set: Path):
    splits = dataset.load_folder(test_set, silence_fraction=0.1, unknown_fraction=0.1, seed=0)
    assert dataset.folder_layout(test_set) == "test-set"
    assert splits["training"] == [] and splits["validation"] == []
    # per_word 3 -> one test clip of each of the 35 words; none subsampled despite the fractions of 0.1
    expected = {**{word: 1 for word in KEYWORDS}, UNKNOWN: 25, SILENCE: SILENCE_CLIPS}
    assert label_counts(splits["testing"]) == expected
    silence = [e for e in splits["testing"] if e.label == LABEL_INDEX[SILENCE]]
    assert {Path(e.path).parent.name for e in silence} == {SILENCE}
    assert np.abs(dataset.load_example(silence[0])).max() == 0.0  # noise_0 is digital silence, read as it is


def test_release_layout_ignores_readme_and_license(release: Path):
    assert dataset.folder_layout(release) == "release"
    splits = dataset.load_folder(release, silence_fraction=0.1, unknown_fraction=1.0, seed=0)
    assert label_counts(splits["testing"]) == {**{word: 1 for word in KEYWORDS}, UNKNOWN: 10, SILENCE: 1}
    assert all(Path(e.path).suffix == ".wav" for split in splits.values() for e in split)


def test_evaluate_scores_both_layouts_alike(release: Path, test_set: Path):
    on_release = evaluate_folder(None, release, "testing")
    on_test_set = evaluate_folder(None, test_set, "testing")
    assert (on_release["layout"], on_test_set["layout"]) == ("release", "test-set")
    assert on_test_set["examples"] == len(KEYWORDS) + 25 + SILENCE_CLIPS
    rows = np.sum(on_test_set["confusion_matrix"], axis=1)
    assert rows[LABEL_INDEX[SILENCE]] == SILENCE_CLIPS and rows[LABEL_INDEX[UNKNOWN]] == 25
    # the same keyword clips in either layout get the same scores
    for word in KEYWORDS:
        assert on_release["per_class_accuracy"][word] == on_test_set["per_class_accuracy"][word]
    assert on_test_set["accuracy"] >= 0.7  # shipped model on held-out voices; chance 0.083
