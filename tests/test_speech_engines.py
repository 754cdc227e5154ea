"""make-data's synthesis families: the plan by family, speaker and room perturbation, missing engines, and (when the
Debian packages are installed) flite and festival rendering. The espeak-only path never needs flite or festival."""
from __future__ import annotations

import collections
import json
from pathlib import Path

import numpy as np
import pytest

from apps.speech import data, engines, perturb
from apps.speech.labels import KEYWORDS, SAMPLE_RATE
from suite.app import main
from suite.errors import UserError

ALL = engines.DEFAULT_ENGINES
DEFAULT_FAMILIES = ("formant", "diphone", "statistical")  # Kokoro's neural family is asked for by name
OTHERS_INSTALLED = all(engines.ENGINES[name].installed() for name in ("flite", "festival"))
needs_apt = pytest.mark.skipif(not OTHERS_INSTALLED, reason=f"flite/festival not installed ({engines.APT_COMMAND})")


PER_WORD = 100  # 3,500 clips: shares within a few points


def specs(per_word: int = PER_WORD, seed: int = 0, names: tuple[str, ...] = ALL) -> list[data.ClipSpec]:
    return [spec for word in data.plan(per_word, seed, names)[1] for spec in word]


@pytest.fixture(scope="module")
def planned() -> list[data.ClipSpec]:
    return specs()


def test_plan_draws_three_families_and_holds_out_whole_voices(planned: list[data.ClipSpec]):
    by_split = collections.defaultdict(set)
    for spec in planned:
        by_split[spec.split].add((spec.engine, spec.variant))
    assert not by_split["training"] & (by_split["validation"] | by_split["testing"])
    assert {("flite", "rms"), ("festival", "ked_diphone")} <= by_split["testing"]
    training = [spec for spec in planned if spec.split == "training"]
    shares = collections.Counter(spec.family for spec in training)
    assert set(shares) == set(DEFAULT_FAMILIES) and min(shares.values()) / len(training) > 0.28  # 1/3 each
    assert {spec.engine for spec in training} == set(ALL)
    assert specs(3) == specs(3) != specs(3, seed=1)  # deterministic for a seed


def test_perturbations_phrases_and_ranges(planned: list[data.ClipSpec]):
    training = [spec for spec in planned if spec.split == "training"]
    phrases = [spec for spec in planned if spec.carrier]
    assert all(spec.split == "training" for spec in phrases)
    assert abs(len(phrases) / len(training) - data.PHRASE_PROBABILITY) < 0.03
    assert not {spec.carrier for spec in phrases} & set(KEYWORDS) and {"front", "turn"}.isdisjoint(data.CARRIERS)
    assert all(spec.text == f"{spec.carrier} {spec.word}" for spec in phrases)
    rooms = [spec.room for spec in planned if spec.room]
    assert abs(len(rooms) / len(planned) - data.ROOM_PROBABILITY) < 0.035
    assert all(data.RT60_S[0] <= room.rt60_s <= data.RT60_S[1] for room in rooms)
    assert all(data.SPEED[0] <= spec.speed <= data.SPEED[1] for spec in planned)
    assert min(spec.snr_db for spec in planned) < 2.0  # noise down to 0 dB
    assert all(spec.pitch_hz is None for spec in planned if spec.engine == "espeak")
    assert all(spec.breathiness is None for spec in planned if spec.engine != "espeak")


def test_espeak_only_plan_has_one_family():
    planned = specs(3, names=("espeak",))
    assert {spec.family for spec in planned} == {"formant"} and {spec.engine for spec in planned} == {"espeak"}


def test_speed_scales_duration_and_pitch():
    time = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = np.sin(2 * np.pi * 400 * time).astype(np.float32)
    faster = perturb.speed(tone, 1.25)
    assert abs(len(faster) - 0.8 * SAMPLE_RATE) <= 1
    spectrum = np.abs(np.fft.rfft(faster))
    assert abs(np.argmax(spectrum) * SAMPLE_RATE / len(faster) - 500) < 3  # 400 Hz x 1.25


def test_room_impulse_response_decays_by_rt60_and_keeps_the_drr():
    room = perturb.Room(rt60_s=0.5, drr_db=6.0, predelay_s=0.005)
    response = perturb.impulse_response(room, np.random.default_rng(0))
    assert response[0] == 1.0 and not np.any(response[1:int(0.005 * SAMPLE_RATE)])
    tail = response[1:].astype(np.float64) ** 2
    assert abs(10 * np.log10(1.0 / tail.sum()) - 6.0) < 1e-3
    # Schroeder backward integral: -60 dB at about RT60 (the darkening lowpass steepens it a little)
    decay = 10 * np.log10(np.cumsum(tail[::-1])[::-1] / tail.sum())
    at = np.flatnonzero(decay < -30.0)[0] / SAMPLE_RATE  # -30 dB at about RT60 / 2
    assert 0.2 < at < 0.3


def test_missing_engine_is_an_error_unless_skipped(tmp_path: Path, monkeypatch, capsys):
    monkeypatch.setitem(engines.ENGINES, "flite", engines.ENGINES["flite"].__class__(
        **{**engines.ENGINES["flite"].__dict__, "installed": lambda: False}))
    with pytest.raises(UserError, match="flite: Debian package flite .*apt-get install -y flite"):
        data.make_data(tmp_path / "a", per_word=1, engine_names=("espeak", "flite"), show_progress=False)
    code = main("speech", ["make-data", "--out", str(tmp_path / "b"), "--engines", "espeak,flite", "--per-word", "1"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--skip-missing-engines" in err and not (tmp_path / "b").exists()
    code = main("speech", ["make-data", "--out", str(tmp_path / "c"), "--engines", "espeak,flite", "--per-word", "1",
                           "--skip-missing-engines", "--json"])
    captured = capsys.readouterr()
    assert code == 0 and captured.err == f"make-data: skipping flite (not installed; {engines.APT_COMMAND})\n"
    assert json.loads(captured.out)["engines"] == ["espeak"]
    assert json.loads((tmp_path / "c" / data.MANIFEST).read_text())["engines"] == ["espeak"]
    code = main("speech", ["make-data", "--out", str(tmp_path / "d"), "--engines", "espeak,mbrola"])
    assert code == 2 and "mbrola" in capsys.readouterr().err and not (tmp_path / "d").exists()


@needs_apt
@pytest.mark.parametrize("engine, voice", [("flite", "kal"), ("flite", "slt"), ("festival", "ked_diphone"),
                                           ("festival", "cmu_us_slt_arctic_hts")])
def test_engines_speak_deterministically(engine: str, voice: str):
    render = engines.ENGINES[engine].render
    first = engines.Utterance("stop", voice, stretch=1.2, pitch_hz=120.0)
    other = engines.Utterance("bed go", voice, stretch=0.9, pitch_hz=180.0)
    alone, (_, after) = render([first]), render([other, first])
    assert 0.2 < len(alone[0]) / SAMPLE_RATE < 1.5 and np.abs(alone[0]).max() > 0.05
    assert np.array_equal(alone[0], after)  # an utterance does not depend on the ones before it


@needs_apt
def test_make_data_with_every_engine(tmp_path: Path):
    manifest = data.make_data(tmp_path / "data", per_word=3, seed=2, workers=2, show_progress=False)
    assert manifest["engines"] == list(ALL) and manifest["data_version"] == 3
    families = manifest["families"]
    assert {families[path.name.split("_nohash_")[0]] for path in (tmp_path / "data").glob("*/*_nohash_*.wav")} == set(
        DEFAULT_FAMILIES)
    assert families["flite-rms"] == "statistical" and families["festival-ked-diphone"] == "diphone"


needs_kokoro = pytest.mark.skipif(not engines.ENGINES["kokoro"].installed(), reason=engines.ENGINES["kokoro"].install_hint)


def test_kokoro_spells_words_in_ipa_from_cmudict():
    from apps.speech import neural

    assert neural.ipa("yes") == "jˈɛs"
    assert neural.ipa("follow") == "fˈɑloʊ"  # unstressed OW0 keeps its vowel, no stress mark
    assert neural.ipa("okay") == "ˌoʊkˈeɪ"
    assert neural.ipa("please learn") == "plˈiz lˈɜɹn"
    assert neural.ipa("sheila") == "ʃˈilə"  # AH0: schwa
    with pytest.raises(ValueError, match="'qwzx' is not in CMUdict"):
        neural.ipa("qwzx")


def test_kokoro_plan_holds_out_pure_voices():
    planned = specs(20, names=(*ALL, "kokoro"))
    neural = [spec for spec in planned if spec.family == "neural"]
    by_split = {split: {spec.variant for spec in neural if spec.split == split} for split in ("training", "validation",
                                                                                               "testing")}
    assert by_split["validation"] == {"jf_nezumi"} and by_split["testing"] == {"jf_tebukuro"}
    assert not {name for voice in by_split["training"] for name in voice.split("+")} & {"jf_nezumi", "jf_tebukuro"}
    assert 0.2 < len(neural) / len(planned) < 0.3  # a quarter: four families
    assert all(spec.pitch_hz is None for spec in neural)  # Kokoro has no pitch control
    # only when asked for by name: make-data's and the presets' default engines leave it out
    assert "kokoro" not in engines.DEFAULT_ENGINES and not any(spec.family == "neural" for spec in specs(20))


@needs_kokoro
def test_kokoro_speaks_deterministically_and_blends_voices():
    render = engines.ENGINES["kokoro"].render
    slow, fast = render([engines.Utterance("stop", "jf_alpha", stretch=1.25), engines.Utterance("stop", "jf_alpha",
                                                                                                 stretch=0.8)])
    assert 0.3 < len(slow) / SAMPLE_RATE < 1.5 and np.abs(slow).max() > 0.05
    assert 1.3 < len(slow) / len(fast) < 1.8  # tempo 0.8 against 1.25
    again = render([engines.Utterance("bed go", "jm_kumo"), engines.Utterance("stop", "jf_alpha", stretch=1.25)])[1]
    assert np.array_equal(slow, again)
    blend, male, female = render([engines.Utterance("yes", voice) for voice in ("jf_alpha+jm_kumo", "jm_kumo",
                                                                                "jf_alpha")])
    assert not np.array_equal(blend[:len(male)], male[:len(blend)]) and not np.array_equal(blend[:len(female)],
                                                                                            female[:len(blend)])
    with pytest.raises(ValueError, match="no voice 'af_heart'"):
        render([engines.Utterance("yes", "af_heart")])
