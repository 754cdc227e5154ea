"""Breathy / whispered training clips in make-data: generated variants, training only, held-out clips unchanged."""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from apps.speech import data, synth
from suite.app.paths import CACHE_ENV

SEED = 0
PER_WORD = 40  # 32 training, 4 validation, 4 testing clips per word: cheap to plan


def all_specs(per_word: int = PER_WORD, seed: int = SEED) -> list[data.ClipSpec]:
    return [spec for specs in data.plan(per_word, seed)[1] for spec in specs]


def test_breathiness_is_drawn_exactly_and_for_training_only():
    # the first breathy clip of "yes" at seed 0 (its own random stream: independent of per_word)
    assert data.draw_breathiness(0, 3, "training", SEED) == synth.Breathiness(
        voicing=18, breath=(89, 72, 65, 20, 2, 23), breathw=(112, 169, 255, 218, 310, 408))
    assert data.draw_breathiness(0, 2, "training", SEED) is None
    for split in ("validation", "testing"):
        assert data.draw_breathiness(0, 3, split, SEED) is None


def test_breathy_share_and_ranges():
    specs = all_specs()
    breathy = [spec for spec in specs if spec.breathiness]
    assert all(spec.split == "training" for spec in breathy)
    training = sum(spec.split == "training" for spec in specs)
    assert abs(len(breathy) / training - data.BREATHY_PROBABILITY) < 0.03
    for spec in breathy:
        quality = spec.breathiness
        assert data.BREATHY_VOICING[0] <= quality.voicing <= data.BREATHY_VOICING[1]
        for values, bounds in ((quality.breath, data.BREATHY_BREATH), (quality.breathw, data.BREATHY_BREATHW)):
            assert len(values) == len(bounds) == 6
            assert all(low <= value <= high for value, (low, high) in zip(values, bounds))
        assert spec.espeak_variant == f"breathy-{spec.word}-{spec.index}" and spec.speaker == data.slug(spec.variant)
    assert all(spec.espeak_variant == spec.variant for spec in specs if not spec.breathiness)


def test_breathy_draw_leaves_every_other_draw_unchanged(monkeypatch):
    """Held-out clips (and the non-breathy training clips) are the same as before breathy clips existed."""
    with_breathy = all_specs()
    monkeypatch.setattr(data, "BREATHY_PROBABILITY", 0.0)
    without = all_specs()
    assert [replace(spec, breathiness=None) for spec in with_breathy] == without
    assert all_specs() == without  # deterministic


def test_test_voices_never_become_breathy_training_voices():
    voices, _ = data.plan(3, SEED)
    assert ("espeak", "whisper") in voices["testing"]["formant"]  # espeak's whisper voice stays unseen in training
    breathy_bases = {("espeak", spec.variant) for spec in all_specs() if spec.breathiness}
    assert breathy_bases <= set(voices["training"]["formant"])


def test_breathy_variant_file_text():
    quality = synth.Breathiness(voicing=25, breath=(60, 50, 40, 30, 20, 10), breathw=(150, 160, 170, 180, 190, 200))
    text = synth.breathy_variant_text("m3", quality)
    original = (synth.variant_folder() / "m3").read_text()
    assert text.startswith(original.rstrip())
    # appended last: espeak reads the file in order, so these override the variant's own lines
    assert text.endswith("voicing 25\nbreath 60 50 40 30 20 10\nbreathw 150 160 170 180 190 200\n")


def test_private_data_folder_links_the_package_data(tmp_path: Path):
    folder = synth.make_data_folder(tmp_path / "espeak-ng-data")
    variants = folder / "voices" / "!v"
    assert variants.is_dir() and not variants.is_symlink()  # generated variants are written here, not in site-packages
    assert sorted(path.name for path in variants.iterdir()) == synth.voice_variants()
    assert (folder / "phondata").is_symlink() and (folder / "lang").is_symlink()


def test_make_data_records_breathy_clips(tmp_path: Path):
    out = tmp_path / "data"
    data.make_data(out, per_word=3, seed=5, workers=2, show_progress=False, engine_names=("espeak",))
    manifest = json.loads((out / data.MANIFEST).read_text())
    expected = sum(bool(spec.breathiness) for spec in all_specs(3, 5))
    assert manifest["data_version"] == data.DATA_VERSION == 3
    assert manifest["breathy"]["clips"] == {"training": expected, "validation": 0, "testing": 0} and expected > 0
    assert manifest["breathy"]["probability"] == data.BREATHY_PROBABILITY


def test_cache_folder_is_named_by_data_version(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(tmp_path))
    made = []
    monkeypatch.setattr(data, "make_data", lambda folder, **kwargs: made.append(Path(folder)))
    folder = data.generated_folder(400, 0)
    assert folder.name == f"generated-v{data.DATA_VERSION}-w400-s0-espeak+flite+festival" and made == [folder]
    assert data.generated_folder(40, 1, engine_names=("espeak",)).name == f"generated-v{data.DATA_VERSION}-w40-s1-espeak"
