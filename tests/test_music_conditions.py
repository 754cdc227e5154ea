"""Conditioning: control tokens (style, meter, key) from the corpus's metadata, transposition moving the key,
and the conditions flowing through the tiny model's Keras step model and its int8 exports (TFLite, ONNX)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from apps.music import conditions, data, generation, model as melody_model
from apps.music.encoding import VOCAB_SIZE, Note, encode
from suite.app import main
from suite.app.paths import CACHE_ENV
from tests.music_fixtures import tiny_config, train_tiny

C_TUNE = encode([Note(p, 4 * i, 4 * i + 4) for i, p in enumerate([60, 62, 64, 65, 67, 65, 64, 62, 60] * 2)])


# ------------------------------------------------------------------ labels and tokens


def test_labels_from_corpus_metadata():
    assert conditions.style_of("oneills1850/0001-0050.abc#3") == "irish"
    assert conditions.style_of("ryansMammoth/ryansMammoth1.abc#7") == "irish"
    assert conditions.style_of("essenFolksong/han1.abc#12") == "chinese"
    assert conditions.style_of("essenFolksong/erk10.abc#2") == "german"
    assert conditions.style_of("essenFolksong/lux.abc#1") == "other"
    assert conditions.style_of("tune-001.mid") == "other"
    assert conditions.meter_of("X:1\nT:a\nM:6/8\nK:G\nabc|") == "6/8"
    assert conditions.meter_of("X:1\nM:C|\nK:D\n") == "4/4"  # cut time: 16 sixteenths a bar
    assert conditions.meter_of("X:1\nM:9/8\n") == "other" and conditions.meter_of(None) == "other"
    assert conditions.key_label(C_TUNE) == (0, "major")


def test_prefix_tokens_round_trip_and_vocabulary():
    prefix = conditions.prefix_tokens("chinese", "3/4", 2, "minor")
    assert prefix.tolist() == [VOCAB_SIZE + 2, VOCAB_SIZE + 4 + 1, VOCAB_SIZE + 4 + 5 + 12 + 2]
    assert conditions.labels_of(prefix) == {"style": "chinese", "meter": "3/4", "tonic": 2, "mode": "minor",
                                           "key": "D minor"}
    assert conditions.INPUT_VOCAB_SIZE == 39 + 4 + 5 + 24
    assert [conditions.parse_key(name) for name in ("D", "F#", "Bb", "c", "Cb")] == [2, 6, 10, 0, 11]
    with pytest.raises(ValueError, match="'H'"):
        conditions.parse_key("H")
    with pytest.raises(ValueError, match="style 'polka'"):
        conditions.prefix_tokens("polka", "3/4", 0, "major")


def test_transposition_moves_the_key_tonic():
    prefix = conditions.prefix_tokens("irish", "6/8", 7, "major")  # G major
    assert conditions.labels_of(conditions.transpose_prefix(prefix, -5))["key"] == "D major"
    assert conditions.labels_of(conditions.transpose_prefix(prefix, 6))["key"] == "C# major"  # wraps the octave
    assert conditions.transpose_prefix(prefix, 3)[:2].tolist() == prefix[:2].tolist()


def test_draw_prefix_follows_the_given_labels_and_the_counts():
    counts = [["irish", "6/8", 7, "major", 30], ["german", "2/4", 0, "major", 10], ["chinese", "2/4", 2, "minor", 1]]
    rng = np.random.default_rng(0)
    drawn = [conditions.labels_of(conditions.draw_prefix(counts, rng)) for _ in range(400)]
    assert 0.68 < np.mean([d["style"] == "irish" for d in drawn]) < 0.79  # 30 / 41 = 0.73
    asked = conditions.labels_of(conditions.draw_prefix(counts, rng, meter="2/4", mode="minor"))
    assert asked == {"style": "chinese", "meter": "2/4", "tonic": 2, "mode": "minor", "key": "D minor"}
    unseen = conditions.labels_of(conditions.draw_prefix(counts, rng, style="chinese", tonic=5))
    assert unseen["style"] == "chinese" and unseen["tonic"] == 5  # asked labels always hold


def test_conditioned_windows_weight_only_real_targets():
    prefix = conditions.prefix_tokens("german", "2/4", 0, "major")
    events = np.arange(40) % 5
    rows, weights, starts = data.conditioned_windows([events], [prefix], window=16)
    assert rows.shape == (3, 3 + 16 + 1) and starts.tolist() == [0, 16, 32]
    assert (rows[:, :3] == prefix).all()
    np.testing.assert_array_equal(rows[1, 3:], events[16:33])
    assert weights[0, :3].tolist() == [0, 0, 1] and weights[1, :3].tolist() == [0, 0, 0]  # first event: tune start only
    assert weights[2, 3:].sum() == 40 - 32 - 1  # the last window's padding has weight 0


def test_training_transposition_shifts_notes_and_key_together():
    config = tiny_config(conditioning=True, window=32)
    prefix = conditions.prefix_tokens("german", "2/4", 0, "major")
    dataset = data.make_dataset([C_TUNE] * 8, config, training=True, prefixes=[prefix] * 8)
    seen = set()
    for inputs, targets, weights in dataset.unbatch().as_numpy_iterator():
        notes = inputs[3:][inputs[3:] >= 2]
        shift = int(notes.min()) - int(C_TUNE[C_TUNE >= 2].min())
        assert conditions.labels_of(inputs[:3])["tonic"] == shift % 12  # C major moved with the notes
        assert targets[:2].tolist() == [0, 0] and targets.max() < VOCAB_SIZE  # control tokens are never targets
        seen.add(shift)
    assert len(seen) >= 3  # random transpositions were drawn


# ------------------------------------------------------------------ through the model, step model and exports


@pytest.fixture(scope="module")
def conditioned_dir(tmp_path_factory):
    work = tmp_path_factory.mktemp("conditioned")
    model_dir = train_tiny(work, extra=("conditioning=true",))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(work / "cache"))
        assert main("music", ["export", "--model", str(model_dir), "--json"]) == 0  # TFLite and ONNX
    return model_dir


def scorers(model_dir):
    keras = melody_model.load(model_dir)
    found = {"keras": (keras, generation.StepScorer(keras))}
    for backend in ("tflite", "onnx"):
        exported = melody_model.open_model(melody_model.resolve(model_dir, backend))
        found[backend] = (exported, generation.make_scorer(exported))
    return keras, found


def test_conditioned_config_and_exports(conditioned_dir):
    config = json.loads((conditioned_dir / "config.json").read_text())
    assert config["settings"]["conditioning"] and config["model"]["vocab_size"] == conditions.INPUT_VOCAB_SIZE
    assert config["model"]["output_size"] == VOCAB_SIZE
    assert sum(row[-1] for row in config["condition_counts"]) > 0
    assert all(row[0] == "other" and row[1] == "other" for row in config["condition_counts"])  # MIDI folder: no metadata
    metrics = json.loads((conditioned_dir / "metrics.json").read_text())
    assert set(metrics["exports"]) == {"step_int16x8.tflite", "step_int8.onnx"}
    for name in ("step_int16x8.tflite", "step_int8.onnx"):
        assert metrics["exports"][name]["passed"] and metrics["generation_check"][name]["passed"]


def test_step_models_match_the_sequence_model_with_conditions(conditioned_dir):
    keras, found = scorers(conditioned_dir)
    prefixes = [conditions.prefix_tokens("irish", "6/8", 2, "major"), conditions.prefix_tokens("chinese", "2/4", 9, "minor")]
    sequence, _ = melody_model.target_log_probs(keras, [C_TUNE, C_TUNE], prefixes=prefixes)
    half = len(C_TUNE) - 1
    for name, (melody, scorer) in found.items():
        stepped = np.concatenate([generation.stepwise_log_probs(melody, C_TUNE, scorer, prefix) for prefix in prefixes])
        tolerance = 1e-4 if name == "keras" else 0.1  # quantized exports: per-event log-probabilities close, not equal
        np.testing.assert_allclose(stepped, sequence, atol=tolerance)
        assert abs(stepped.mean() - sequence.mean()) < 0.02 * abs(sequence.mean()) + 1e-6
        difference = np.abs(stepped[:half] - stepped[half:]).max()
        assert difference > 1e-3, name  # another condition, another distribution for the same melody


def test_generation_depends_on_the_condition(conditioned_dir):
    _, found = scorers(conditioned_dir)
    melody, scorer = found["tflite"]
    first = conditions.prefix_tokens("irish", "6/8", 2, "major")
    other = conditions.prefix_tokens("german", "3/4", 5, "minor")
    a = generation.sample(melody, 64, count=4, seed=1, scorer=scorer, prefix=first)
    again = generation.sample(melody, 64, count=4, seed=1, scorer=scorer, prefix=first)
    b = generation.sample(melody, 64, count=4, seed=1, scorer=scorer, prefix=other)
    assert a.shape == (4, 64) and a.max() < VOCAB_SIZE  # the control tokens are not returned
    np.testing.assert_array_equal(a, again)
    assert not np.array_equal(a, b)
    beam, _ = generation.beam_search(melody, 32, 2, seed=1, scorer=scorer, prefix=first)
    assert beam.shape == (32,) and beam.max() < VOCAB_SIZE


def test_generate_command_with_conditions(conditioned_dir, tmp_path, capsys):
    capsys.readouterr()
    assert main("music", ["generate", "--model", str(conditioned_dir), "--out", str(tmp_path / "m.mid"), "--key", "D",
                          "--mode", "minor", "--meter", "6/8", "--style", "irish", "--seed", "2", "--json"]) == 0
    record = json.loads(capsys.readouterr().out)
    assert record["conditions"] == {"style": "irish", "meter": "6/8", "tonic": 2, "mode": "minor", "key": "D minor"}
    assert record["events"] == 8 * 12  # bars of the asked meter, written as the MIDI time signature
    from music21 import converter

    signatures = converter.parse(str(tmp_path / "m.mid")).recurse().getElementsByClass("TimeSignature")
    assert [signature.ratioString for signature in signatures] == ["6/8"]
    assert main("music", ["generate", "--model", str(conditioned_dir), "--out", str(tmp_path / "x.mid"),
                          "--key", "H"]) == 2
    assert "--key H" in capsys.readouterr().err and not (tmp_path / "x.mid").exists()
    assert main("music", ["score", "--model", str(conditioned_dir), str(tmp_path / "m.mid"), "--json"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["scored_events"] == 8 * 12 - 1 and scored["conditions"]["style"] == "other"
    assert 0 < scored["nll"] < np.log(VOCAB_SIZE)


# ------------------------------------------------------------------ measuring whether melodies follow the conditions


def test_onset_autocorrelation_by_hand():
    from apps.music.adherence import MAX_LAG, onset_features

    quarters = encode([Note(60 + (i % 3), 4 * i, 4 * i + 4) for i in range(8)])  # 32 steps, an onset every 4
    features = onset_features(quarters)
    assert features.shape == (2 * MAX_LAG,)
    # centred onsets: +0.75 at 8 onsets, -0.25 at 24 other steps; energy 6
    assert features[4 - 1] == pytest.approx(5.25 / 6)  # lag 4: 7 onset pairs (0.5625) + 21 rest pairs (0.0625)
    assert features[2 - 1] == pytest.approx(-1.875 / 6)  # lag 2: 15 onset/rest pairs (-0.1875), 15 rest pairs


def test_meter_classifier_tells_waltzes_from_marches_and_keys_agree():
    from apps.music import adherence

    rng = np.random.default_rng(0)

    def tune(bar_pattern, bars=8):  # note lengths of one bar, repeated with random pitches
        notes, step = [], 0  # starts on the downbeat
        for _ in range(bars):
            for length in bar_pattern:
                notes.append(Note(int(rng.choice([60, 62, 64, 65, 67])), step, step + length))
                step += length
        return encode(notes)

    waltz = lambda: tune(rng.permutation([8, 2, 2]).tolist() if rng.random() < 0.3 else [8, 4])  # noqa: E731  12 steps
    march = lambda: tune([4, 4, 8] if rng.random() < 0.5 else [8, 8])  # noqa: E731  16 steps
    train = [waltz() for _ in range(30)] + [march() for _ in range(30)]
    classifier = adherence.fit_classifier("meter", train, ["3/4"] * 30 + ["4/4"] * 30)
    predicted = adherence.predict("meter", classifier, [waltz() for _ in range(10)] + [march() for _ in range(10)])
    assert np.mean([p == t for p, t in zip(predicted, ["3/4"] * 10 + ["4/4"] * 10)]) >= 0.9
    c_major = [C_TUNE, C_TUNE]
    assert adherence.key_agreement(c_major, 0, "major") == {"exact": 1.0, "same_scale": 1.0}
    assert adherence.key_agreement(c_major, 9, "minor") == {"exact": 0.0, "same_scale": 1.0}  # A minor: relative
    assert adherence.key_agreement(c_major, 2, "major") == {"exact": 0.0, "same_scale": 0.0}
    assert adherence.analysed_key(C_TUNE) == (0, "major")
    # 3/4 is found in 1 of the 4/4 melodies and 2 of the 6/8 ones: 3 of the 8 asked for something else
    found = {"3/4": ["3/4", "3/4", "3/4", "4/4"], "4/4": ["3/4", "4/4", "4/4", "6/8"],
             "6/8": ["6/8", "6/8", "3/4", "3/4"]}
    assert adherence.when_not_asked(found) == {"3/4": 3 / 8, "4/4": 1 / 8, "6/8": 1 / 8}
