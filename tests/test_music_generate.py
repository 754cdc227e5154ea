"""Melody models: the shared train and export on a tiny model, step/sequence scoring parity, sampling controls,
seed determinism, generate options, bad input."""
from __future__ import annotations

import json
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from apps.music import generation, model as melody_model
from apps.music.encoding import FIRST_NOTE_ON, NO_EVENT, NOTE_OFF, STEPS_PER_BAR, Note, VOCAB_SIZE, decode, encode
from suite.app import main, shipped_model_dir
from suite.app.paths import CACHE_ENV
from tests.music_fixtures import synthetic_tunes, tiny_config, train_tiny

REPO = Path(__file__).resolve().parents[1]
SHIPPED = shipped_model_dir("music")
SHIPPED_STEP_FILES = ("step_dynamic.tflite", "step_int16x8.tflite", "step_int8.onnx")


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("music")


@pytest.fixture(scope="module")
def model_dir(work) -> Path:
    """The tiny preset trained by the shared train on synthetic MIDI tunes, exported by the shared export."""
    model_dir = train_tiny(work)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(work / "cache"))  # the corpus cache train wrote: calibration reads it
        assert main("music", ["export", "--model", str(model_dir), "--format", "tflite", "--json"]) == 0
    return model_dir


@pytest.fixture(scope="module")
def melody(model_dir):
    return melody_model.load(model_dir)


@pytest.fixture(scope="module")
def scorer(melody):
    return generation.make_scorer(melody)


def run_cli(*argv: str) -> int:
    return main("music", list(argv))


# ------------------------------------------------------------------ the trained tiny model


def test_tiny_model_learns_and_beats_uniform(model_dir):
    metrics = json.loads((model_dir / "metrics.json").read_text())
    config = json.loads((model_dir / "config.json").read_text())
    assert config["app"] == "music" and config["task"] == "generation" and config["topology"] == "many_to_many"
    assert config["preset"] == "tiny" and config["settings"]["epochs"] == 3 and config["settings"]["units"] == 32
    assert config["command"].startswith("python -m apps.music train --config tiny --data ")
    assert config["model"]["vocab_size"] == VOCAB_SIZE and config["model"]["output_size"] == VOCAB_SIZE
    assert metrics["nll"] < 0.6 * np.log(VOCAB_SIZE)  # uniform guessing: log 39 = 3.66 nats
    assert metrics["accuracy"] > 0.5  # NO_EVENT alone is about half the events of 8ths and quarters
    assert metrics["baseline"]["nll"] > 0 and metrics["baseline"]["order"] == 5
    assert (model_dir / "history.csv").read_text().count("\n") == 1 + 3  # header + 3 epochs


def test_shared_export_writes_the_step_model_and_the_generation_check(model_dir):
    metrics = json.loads((model_dir / "metrics.json").read_text())
    export = metrics["exports"]["step_int16x8.tflite"]
    assert set(metrics["exports"]) == {"step_int16x8.tflite"}  # music exports only its step model (TFLite: int16x8)
    assert export["task"] == "generation" and export["metric"] == "nll" and export["passed"]
    assert export["bytes"] == (model_dir / "step_int16x8.tflite").stat().st_size
    assert export["step_sequences"] > 0 and export["step_agreement"] <= export["threshold"] == 0.02
    check = metrics["generation_check"]["step_int16x8.tflite"]
    assert check["passed"] and check["tunes"] > 0 and check["events"] > check["tunes"]
    assert check["nll_export"] == pytest.approx(check["nll_keras"], rel=0.02)
    assert check["relative_increase"] == pytest.approx(check["nll_export"] / check["nll_keras"] - 1, abs=1e-4)
    micro = export["tflm"]  # the int16x8 file runs in TFLite Micro, stepped through the same windows
    assert micro["passed"] and micro["samples"] == export["step_sequences"] and micro["flash_bytes"] == export["bytes"]
    assert micro["export"] == pytest.approx(export["step_export"], rel=0.005) and micro["arena_bytes"] > 0
    assert "AddGather()" in (model_dir / "step_int16x8_op_resolver.h").read_text()


def test_export_refuses_int16x8_for_onnx_before_writing_anything(model_dir, capsys):
    before = (model_dir / "metrics.json").read_text()
    assert run_cli("export", "--model", str(model_dir), "--quantize", "int16x8") == 2  # default formats: TFLite and ONNX
    assert capsys.readouterr().err == ("error: --quantize int16x8 is a TFLite mode (int16 activations, int8 weights); "
                                       "not for --format onnx\n")
    assert not (model_dir / "step_int16x8.onnx").exists() and (model_dir / "metrics.json").read_text() == before


def test_quantize_dynamic_drops_the_tflite_micro_target():
    """The plan targets TFLite Micro, which runs no dynamic-range file: --quantize dynamic writes the file alone."""
    from apps.music.app import APP
    from suite.app.shared_commands import with_quantize

    plan = next(plan for plan in APP.exports if plan.formats == ("tflite",))
    assert (plan.quantize, plan.target) == ("int16x8", "tflm") and with_quantize(plan, None) == plan
    assert with_quantize(plan, "dynamic").target is None and with_quantize(plan, "int8").target == "tflm"


def test_stepwise_scoring_equals_sequence_scoring(melody, scorer):
    tune = synthetic_tunes(1, seed=7)[0]
    sequence_log_probs, _ = melody_model.target_log_probs(melody, [tune])
    stepwise = generation.stepwise_log_probs(melody, tune, scorer)
    assert stepwise.shape == (len(tune) - 1,)
    np.testing.assert_allclose(stepwise, sequence_log_probs, atol=1e-5)


@pytest.mark.parametrize("changes", [{"cell": "gru"}, {"lookback": True}])
def test_stepwise_equals_sequence_for_other_configs(changes):
    """Untrained weights are enough: the parity is about the step model, not the learning."""
    config = tiny_config(**changes)
    model = melody_model.build(config)
    saved = {"first_event_probabilities": [1.0 / VOCAB_SIZE] * VOCAB_SIZE}
    melody = melody_model.MelodyModel(model, saved, config)
    tune = synthetic_tunes(1, seed=8)[0][:70]  # longer than two bars: lookback features engage
    sequence_log_probs, _ = melody_model.target_log_probs(melody, [tune])
    np.testing.assert_allclose(generation.stepwise_log_probs(melody, tune), sequence_log_probs, atol=1e-5)


def test_lookback_features_numpy_equals_tensorflow():
    from apps.music.lookback import CONTEXT, FEATURE_SIZE, features_np, features_tf

    tune = synthetic_tunes(1, seed=9)[0][:50].astype(np.int32)
    padded = np.concatenate([np.full(CONTEXT, -1, np.int32), tune])
    batch = features_tf(padded, -CONTEXT, CONTEXT).numpy()
    assert batch.shape == (len(tune), FEATURE_SIZE)
    for step in (0, 1, 15, 16, 17, 32, 49):
        np.testing.assert_array_equal(features_np(tune[:step + 1], step), batch[step])
    # step 16 looks one bar back at step 0; positions 16 = 0b10000 -> low 4 bits all zero -> all -1
    assert batch[16][VOCAB_SIZE + tune[0]] == 1.0
    np.testing.assert_array_equal(batch[16][-4:], [-1, -1, -1, -1])
    np.testing.assert_array_equal(batch[5][-4:], [1, -1, 1, -1])  # 5 = 0b0101, least significant bit first


def test_attention_window_scorer_matches_sequence_model_within_window():
    config = tiny_config(attention="dot", attention_window=40)
    melody = melody_model.MelodyModel(melody_model.build(config), {}, config)
    tune = synthetic_tunes(1, seed=10)[0][:40]  # within the window, recomputing is exact
    sequence_log_probs, _ = melody_model.target_log_probs(melody, [tune])
    np.testing.assert_allclose(generation.stepwise_log_probs(melody, tune), sequence_log_probs, atol=1e-5)


# ------------------------------------------------------------------ sampling controls


def test_temperature_and_top_k_adjust_probabilities():
    probabilities = np.array([[0.5, 0.3, 0.2]])
    np.testing.assert_allclose(generation.adjust(probabilities), probabilities)
    sharpened = generation.adjust(probabilities, temperature=0.5)  # p^2 normalised
    np.testing.assert_allclose(sharpened, [[0.25 / 0.38, 0.09 / 0.38, 0.04 / 0.38]])
    np.testing.assert_allclose(generation.adjust(probabilities, top_k=2), [[0.625, 0.375, 0.0]])


def test_long_notes_end_at_max_note_steps():
    """A note that has sounded MAX_NOTE_STEPS steps cannot be sustained; a rest or a shorter note can."""
    limit = generation.MAX_NOTE_STEPS
    held = np.array([[FIRST_NOTE_ON + 5] + [NO_EVENT] * (limit - 1)])
    rest = np.array([[NOTE_OFF] + [NO_EVENT] * (limit - 1)])
    shorter = np.array([[NO_EVENT, FIRST_NOTE_ON + 5] + [NO_EVENT] * (limit - 2)])
    histories = np.concatenate([held, rest, shorter])
    probabilities = np.full((3, VOCAB_SIZE), 0.5 / (VOCAB_SIZE - 1))
    probabilities[:, NO_EVENT] = 0.5
    ended = generation.end_long_notes(probabilities, histories)
    assert ended[0, NO_EVENT] == 0.0 and ended[0].sum() == pytest.approx(1.0)
    assert ended[0, NOTE_OFF] == pytest.approx(1.0 / (VOCAB_SIZE - 1))
    np.testing.assert_allclose(ended[1:], probabilities[1:], rtol=1e-12)
    certain = np.zeros((1, VOCAB_SIZE))
    certain[0, NO_EVENT] = 1.0  # the model insists on sustaining: the note ends with NOTE_OFF
    assert generation.end_long_notes(certain, held)[0, NOTE_OFF] == 1.0


def test_sample_rows_is_inverse_cdf():
    class FixedDraws:
        def random(self, size):
            return np.array([0.1, 0.55, 0.95])[:size]

    probabilities = np.tile([0.5, 0.3, 0.2], (3, 1))
    np.testing.assert_array_equal(generation.sample_rows(probabilities, FixedDraws()), [0, 1, 2])


def test_same_seed_same_melody(melody, scorer):
    first = generation.sample(melody, 64, count=2, seed=11, scorer=scorer)
    again = generation.sample(melody, 64, count=2, seed=11, scorer=scorer)
    other = generation.sample(melody, 64, count=2, seed=12, scorer=scorer)
    assert first.shape == (2, 64)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_beam_search_score_is_the_model_log_likelihood(melody, scorer):
    primer = encode([Note(60, 0, 4), Note(64, 4, 8)]).astype(np.int64)
    events, score = generation.beam_search(melody, 16, 3, primer=primer, seed=5, scorer=scorer)
    assert len(events) == len(primer) + 16
    np.testing.assert_array_equal(events[:len(primer)], primer)
    log_probs = generation.stepwise_log_probs(melody, events, scorer)
    assert score == pytest.approx(log_probs[len(primer) - 1:].sum(), abs=1e-4)
    again, _ = generation.beam_search(melody, 16, 3, primer=primer, seed=5, scorer=scorer)
    np.testing.assert_array_equal(events, again)


# ------------------------------------------------------------------ generate command options


def generate_json(model_dir, capsys, *argv) -> list[dict]:
    capsys.readouterr()
    assert run_cli("generate", "--model", str(model_dir), "--json", *argv) == 0  # the exported int8 step model
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def read_events(path: Path) -> np.ndarray:
    from apps.music.midi import read_midi_melody

    return encode(read_midi_melody(path))


def test_generate_seed_and_bars(model_dir, tmp_path, capsys):
    first = generate_json(model_dir, capsys, "--out", str(tmp_path / "a.mid"), "--seed", "4", "--bars", "2")
    generate_json(model_dir, capsys, "--out", str(tmp_path / "b.mid"), "--seed", "4", "--bars", "2")
    assert first[0]["events"] == 2 * STEPS_PER_BAR and first[0]["seed"] == 4 and first[0]["backend"] == "tflite"
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()
    assert len(read_events(tmp_path / "a.mid")) <= 2 * STEPS_PER_BAR  # a final rest is not written to MIDI


def test_generate_primer_notes_start_the_melody(model_dir, tmp_path, capsys):
    out = tmp_path / "p.mid"
    records = generate_json(model_dir, capsys, "--out", str(out), "--primer-notes", "C4 E4 G4", "--bars", "1", "--seed", "1")
    assert records[0]["events"] == 3 * 4 + STEPS_PER_BAR  # three quarter notes, then one bar
    notes = decode(read_events(out))
    assert [note.pitch for note in notes[:2]] == [60, 64] and notes[0] == Note(60, 0, 4)
    assert notes[2].pitch == 67 and notes[2].start == 8


def test_generate_primer_file(model_dir, tmp_path, capsys):
    from apps.music.midi import write_midi

    primer = tmp_path / "primer.mid"
    write_midi([Note(67, 0, 2), Note(65, 2, 4), Note(64, 4, 8)], primer)
    out = tmp_path / "continued.mid"
    records = generate_json(model_dir, capsys, "--out", str(out), "--primer", str(primer), "--bars", "2", "--seed", "2")
    assert records[0]["events"] == 8 + 2 * STEPS_PER_BAR
    assert [note.pitch for note in decode(read_events(out))[:2]] == [67, 65]


def test_generate_low_temperature_and_top_k_one_are_near_greedy(model_dir, tmp_path, capsys):
    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"greedy{seed}.mid"
        generate_json(model_dir, capsys, "--out", str(out), "--primer-notes", "D4", "--top-k", "1", "--seed", seed)
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1]  # top-1 leaves no choice: the seed no longer matters
    cold = [generate_json(model_dir, capsys, "--out", str(tmp_path / f"cold{seed}.mid"), "--primer-notes", "D4",
                          "--temperature", "0.01", "--seed", seed) for seed in ("1", "2")]
    assert (tmp_path / "cold1.mid").read_bytes() == (tmp_path / "cold2.mid").read_bytes() == outputs[0]
    assert cold[0][0]["events"] == 4 + 8 * STEPS_PER_BAR


def test_generate_beam_count_wav_png(model_dir, tmp_path, capsys):
    records = generate_json(model_dir, capsys, "--out", str(tmp_path / "m.mid"), "--beam", "2", "--count", "2",
                            "--bars", "1", "--seed", "3", "--wav", "--png", "--qpm", "60", "--branch-factor", "3",
                            "--steps-per-iteration", "4")
    assert [Path(r["midi"]).name for r in records] == ["m-1.mid", "m-2.mid"]
    for record in records:
        with wave.open(record["wav"]) as handle:
            seconds = handle.getnframes() / handle.getframerate()
        assert record["seconds"] == 4.0  # one 4/4 bar at 60 quarter notes per minute
        assert 0.5 < seconds <= 4.2  # the last sounding note ends the audio, plus its release
        assert Path(record["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert Path(record["midi"]).read_bytes()[:4] == b"MThd"


# ------------------------------------------------------------------ bad input: one line, exit 2, no file


@pytest.mark.parametrize("options, message", [
    (["--bars", "-1"], "--bars -1"),
    (["--temperature", "0"], "--temperature 0"),
    (["--top-k", "0"], "--top-k 0"),
    (["--beam", "0"], "--beam 0"),
    (["--branch-factor", "3"], "--branch-factor 3: only applies with --beam N"),
    (["--beam", "2", "--steps-per-iteration", "0"], "--steps-per-iteration 0: must be at least 1"),
    (["--count", "0"], "--count 0"),
    (["--key", "D"], "this model was trained without conditioning (--key cannot apply"),
    (["--style", "polka"], "--style polka: expected one of irish, german, chinese, other"),
    (["--primer-notes", "C4 H4"], "'H4'"),
    (["--primer-notes", "C9"], "outside the melody range"),
    (["--primer", "missing.mid"], "not found"),
    (["--primer", "EMPTY"], "empty"),
    (["--primer", "CORRUPT"], "not a readable MIDI file"),
])
def test_generate_bad_input(model_dir, tmp_path, capsys, options, message):
    (tmp_path / "empty.mid").write_bytes(b"")
    (tmp_path / "corrupt.mid").write_bytes(b"MThd this is not midi")
    options = [str(tmp_path / "empty.mid") if o == "EMPTY" else str(tmp_path / "corrupt.mid") if o == "CORRUPT"
               else str(tmp_path / o) if o == "missing.mid" else o for o in options]
    out = tmp_path / "never.mid"
    capsys.readouterr()
    assert run_cli("generate", "--model", str(model_dir), "--out", str(out), *options) == 2
    stderr = capsys.readouterr().err.strip().splitlines()
    assert len(stderr) == 1 and stderr[0].startswith("error: ") and message in stderr[0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["corrupt.mid", "empty.mid"]


def test_generate_bad_model_dir_is_one_line(tmp_path, capsys):
    capsys.readouterr()
    assert run_cli("generate", "--model", str(tmp_path / "nope"), "--out", str(tmp_path / "x.mid")) == 2
    assert capsys.readouterr().err == f"error: {tmp_path / 'nope'}: no such model directory or file\n"
    assert not (tmp_path / "x.mid").exists()


def test_cli_process_exit_code_for_bad_option(tmp_path):
    result = subprocess.run([sys.executable, "-m", "apps.music", "generate", "--out", str(tmp_path / "x.mid"),
                             "--temperature", "-1"], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: --temperature -1.0: must be a positive number"]
    assert list(tmp_path.iterdir()) == []


def test_train_rejects_bad_set(capsys, tmp_path):
    assert run_cli("train", "--config", "tiny", "--set", "units=zero", "--runs", str(tmp_path)) == 2
    assert capsys.readouterr().err == "error: --set: bad value 'zero' for config key 'units': expected int\n"
    assert list(tmp_path.iterdir()) == []


def test_evaluate_scores_the_model(model_dir, work, capsys, monkeypatch):
    monkeypatch.setenv(CACHE_ENV, str(work / "cache"))
    monkeypatch.chdir(work)
    before = sorted(work.iterdir())
    capsys.readouterr()
    assert run_cli("evaluate", "--model", str(model_dir), "--json") == 0
    record = json.loads(capsys.readouterr().out)
    metrics = json.loads((model_dir / "metrics.json").read_text())
    assert record["split"] == "test" and record["events"] == metrics["events"]
    assert record["nll"] == pytest.approx(metrics["nll"], rel=1e-6)  # the train hook's held-out figure, again
    assert record["baseline_nll"] == pytest.approx(metrics["baseline"]["nll"], rel=1e-9)
    assert sorted(work.iterdir()) == before  # nothing written into the working directory


def test_evaluate_samples_compares_sampling_modes(model_dir, work, capsys, monkeypatch):
    from apps.music import evaluation

    monkeypatch.setenv(CACHE_ENV, str(work / "cache"))
    assert run_cli("evaluate", "--model", str(model_dir), "--samples", "8", "--json") == 2  # synthetic tunes < 8 bars
    assert "held-out tunes of 128 events or more" in capsys.readouterr().err
    monkeypatch.setattr(evaluation, "EXCERPT_EVENTS", 32)  # two bars: the synthetic held-out tunes have them
    assert run_cli("evaluate", "--model", str(model_dir), "--samples", "8", "--modes", "greedy,beam", "--beam", "2",
                   "--json") == 0
    samples = json.loads(capsys.readouterr().out)["samples"]
    assert list(samples["modes"]) == ["greedy", "beam"] and samples["generator"].endswith("step_int16x8.tflite")
    assert samples["corpus"]["melodies"] >= 5
    for mode in samples["modes"].values():
        assert mode["melodies"] == 8 and 0.0 <= mode["two_sample_accuracy"] <= 1.0
        assert len(mode["pitch_classes_histogram"]) == 12 and sum(mode["durations_histogram"]) == pytest.approx(1, abs=1e-3)
        assert set(mode["goals"]) >= {"density_within_20pct", "two_sample_at_most_0.65"}
    assert run_cli("evaluate", "--model", str(model_dir), "--samples", "8", "--modes", "greedy,loud") == 2
    assert "--modes greedy,loud" in capsys.readouterr().err
    assert run_cli("evaluate", "--model", str(model_dir), "--conditions", "5") == 2  # the tiny model is unconditioned
    assert capsys.readouterr().err == (f"error: {model_dir}: this model was trained without conditioning (--conditions "
                                       "cannot apply; a model trained with --config conditioned takes them)\n")


# ------------------------------------------------------------------ the shipped exported step model


def open_shipped(file: str | None = None) -> melody_model.MelodyModel:
    return melody_model.open_model(melody_model.resolve(SHIPPED / file if file else SHIPPED))


def test_shipped_step_export_matches_keras_sequence_model():
    # the default: int16 activations, int8 weights (full int8 drifts over whole tunes), no Keras
    assert open_shipped().step_file == SHIPPED / "step_int16x8.tflite"
    shipped = open_shipped("step_dynamic.tflite")  # int8 weights, float activations: close per event
    assert shipped.model is None
    keras_melody = melody_model.load()
    tune = synthetic_tunes(1, seed=3)[0][:80]
    sequence_log_probs, _ = melody_model.target_log_probs(keras_melody, [tune])
    exported = generation.stepwise_log_probs(shipped, tune, generation.make_scorer(shipped))
    assert isinstance(generation.make_scorer(shipped), generation.RuntimeScorer)
    assert exported.shape == sequence_log_probs.shape
    # int8 weights: per-event log-probabilities move a little, the mean NLL well under 2%
    assert np.abs(exported - sequence_log_probs).max() < 0.1
    assert abs(exported.mean() - sequence_log_probs.mean()) < 0.02 * abs(sequence_log_probs.mean())


@pytest.mark.parametrize("name", SHIPPED_STEP_FILES)
def test_every_shipped_step_export_keeps_the_nll(name):
    """The int16x8 device file included: each shipped step file, carrying its own state, keeps the mean NLL within 2%."""
    path = SHIPPED / name
    shipped = open_shipped(name)
    tunes = synthetic_tunes(8, seed=3)
    sequence_log_probs, _ = melody_model.target_log_probs(melody_model.load(), tunes)
    scorer = generation.make_scorer(shipped)
    exported = np.concatenate([generation.stepwise_log_probs(shipped, tune, scorer) for tune in tunes])
    assert exported.shape == sequence_log_probs.shape
    assert abs(exported.mean() / sequence_log_probs.mean() - 1) < 0.02
    # the export's own check over 200 held-out windows, as recorded when it was written
    metrics = json.loads((SHIPPED / "metrics.json").read_text())
    record = metrics["exports"][name]
    assert record["bytes"] == path.stat().st_size and record["step_agreement"] < record["threshold"] == 0.02
    check = metrics["generation_check"][name]  # after_export's whole held-out tunes, stepped by the generator
    assert check["passed"] and abs(check["nll_export"] / check["nll_keras"] - 1) < check["threshold"]


def test_shipped_model_is_the_conditioned_preset_and_the_docs_quote_its_metrics():
    """docs/apps/music.md quotes the shipped metrics.json: held-out NLL, the whole-tune check, the two-sample test."""
    config = json.loads((SHIPPED / "config.json").read_text())
    metrics = json.loads((SHIPPED / "metrics.json").read_text())
    assert config["preset"] == "conditioned" and config["settings"]["conditioning"] and not config["overrides"]
    assert config["command"] == "python -m apps.music train --config conditioned --out saved_models/music"
    assert metrics["nll"] < metrics["baseline"]["nll"] and metrics["params"] == 89_767
    check = metrics["generation_check"]["step_int16x8.tflite"]
    assert check["tunes"] == 32 and check["passed"]  # the full 3,000-tune corpus's held-out tunes, not the fresh subset
    sampling = metrics["evaluation"]["samples"]["modes"]["sampling"]
    doc = (REPO / "docs" / "apps" / "music.md").read_text()
    assert f"| **{metrics['nll']:.3f}** | {metrics['accuracy']:.3f} |" in doc
    assert f"| **{sampling['two_sample_accuracy']:.3f}** |" in doc
    assert f"{check['nll_keras']:.4f} / {check['nll_export']:.4f} ({100 * check['relative_increase']:+.2f}%)" in doc


def test_runtime_scorer_batches_rows_independently():
    shipped = open_shipped()
    scorer = generation.make_scorer(shipped)
    together = generation.sample(shipped, 32, count=3, seed=5, scorer=scorer)
    first_alone, _ = scorer.start(together[:1, :10])
    all_rows, _ = scorer.start(together[:, :10])
    assert together.shape == (3, 32)
    np.testing.assert_allclose(all_rows[0], first_alone[0], atol=1e-6)
