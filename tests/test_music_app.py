"""The music app as a user runs it: every inference command from a temporary folder with TensorFlow
unimportable on the shipped model, wrong-kind inputs, a batch with a bad file, fast --help, and a killed
``train`` that resumes."""
from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from apps.music.encoding import Note, encode
from suite.app import shipped_model_dir
from suite.app.paths import CACHE_ENV, shipped_models_root
from tests.music_fixtures import write_midi_folder
from tests.run_folders import first_epoch_saved, history_epochs

SHIPPED = shipped_model_dir("music")
COMMANDS = ("evaluate", "export", "generate", "prepare-data", "score", "train")
HELP_SECONDS = 1.0  # issue 14: --help of every command within a second
COLD_START_SECONDS = 2.0  # issue 14: an inference command from the exported files within two seconds
PROCESS_TIMEOUT_S = 120


def music(*argv: str, env: dict, cwd: Path, timeout: float = PROCESS_TIMEOUT_S) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apps.music", *argv], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def scale_walk(path: Path) -> Path:
    """C major up and down in 8th notes: a folk-like melody the shipped model should find likely."""
    from apps.music.midi import write_midi

    pitches = [60, 62, 64, 65, 67, 69, 71, 72, 71, 69, 67, 65, 64, 62, 60, 60]
    return write_midi([Note(p, 2 * i, 2 * i + 2) for i, p in enumerate(pitches)], path)


def random_leaps(path: Path) -> Path:
    """Random chromatic pitches in uneven lengths: unlike any folk tune."""
    from apps.music.midi import write_midi

    rng = np.random.default_rng(0)
    notes, step = [], 0
    for pitch, length in zip(rng.integers(48, 84, 16), rng.choice([1, 3, 5], 16)):
        notes.append(Note(int(pitch), step, step + int(length)))
        step += int(length)
    return write_midi(notes, path)


# ------------------------------------------------------------------ inference without TensorFlow, any folder


def test_generate_without_tensorflow_records_its_seed(tmp_path, without_tensorflow):
    from apps.music.conditions import bar_steps

    run = music("generate", "--out", "a.mid", "--json", "--bars", "4", env=without_tensorflow, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    record = json_lines(run.stdout)[0]
    assert record["backend"] == "tflite" and record["model"] == str(SHIPPED / "step_int16x8.tflite")
    # a drawn seed may give a few long notes: 2-4 notes in 4 bars for 4-5 of 300 seeds (none fewer), all with
    # meter "other", with the generation cache or without it
    assert record["events"] == 4 * bar_steps(record["conditions"]["meter"]) and record["notes"] >= 1
    seed = record["seed"]
    assert run.stderr == f"note: seed {seed}; pass --seed {seed} to get the same melody again\n"
    again = music("generate", "--out", "b.mid", "--seed", str(seed), "--bars", "4", env=without_tensorflow, cwd=tmp_path)
    assert again.returncode == 0 and again.stderr == ""  # no LiteRT delegate line without --verbose
    assert again.stdout.startswith(f"wrote b.mid: {record['notes']} notes") and f"seed {seed}" in again.stdout
    assert (tmp_path / "a.mid").read_bytes() == (tmp_path / "b.mid").read_bytes()


def test_generate_onnx_without_tensorflow_continues_the_primer(tmp_path, without_tensorflow):
    from apps.music.conditions import bar_steps
    from apps.music.midi import read_midi_melody

    run = music("generate", "--out", "p.mid", "--primer-notes", "D4 F#4 A4", "--bars", "2", "--seed", "7",
                "--backend", "onnx", "--png", "--json", env=without_tensorflow, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    record = json_lines(run.stdout)[0]
    bar = bar_steps(record["conditions"]["meter"])  # --bars counts bars of the (drawn) meter after the primer
    assert (record["backend"], record["primer_events"], record["events"]) == ("onnx", 12, 12 + 2 * bar)
    assert [note.pitch for note in read_midi_melody(tmp_path / "p.mid")[:2]] == [62, 66]
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_shipped_model_follows_the_asked_key_without_tensorflow(tmp_path, without_tensorflow):
    """The shipped model is conditioned: D major melodies keep to D major's pitch classes, Eb major ones to Eb's
    (measured on seed 3, 4 melodies each: 0.99 and 1.00 in their own scale, 0.32 and 0.27 in the other)."""
    from apps.music.midi import read_midi_melody

    scales = {"D": {2, 4, 6, 7, 9, 11, 1}, "Eb": {3, 5, 7, 8, 10, 0, 2}}
    for tonic, scale in scales.items():
        run = music("generate", "--out", f"{tonic}.mid", "--key", tonic, "--mode", "major", "--meter", "6/8", "--style",
                    "irish", "--seed", "3", "--count", "4", "--json", env=without_tensorflow, cwd=tmp_path)
        assert run.returncode == 0, run.stderr
        records = json_lines(run.stdout)
        assert [record["conditions"] for record in records] == [
            {"style": "irish", "meter": "6/8", "tonic": {"D": 2, "Eb": 3}[tonic], "mode": "major",
             "key": f"{tonic} major"}] * 4
        pitches = [note.pitch % 12 for index in range(1, 5) for note in read_midi_melody(tmp_path / f"{tonic}-{index}.mid")]
        other = scales["Eb" if tonic == "D" else "D"]
        assert np.mean([p in scale for p in pitches]) > 0.9 and np.mean([p in other for p in pitches]) < 0.5


def test_score_without_tensorflow_matches_keras(tmp_path, without_tensorflow):
    """The exported step model's NLL of a melody, TF-free, equals the Keras sequence model's within 2% (after the
    same control tokens: the shipped model is conditioned, and score reports the labels it assumed)."""
    from apps.music import model as melody_model
    from apps.music.conditions import prefix_tokens
    from apps.music.midi import read_midi_melody

    walk, leaps = scale_walk(tmp_path / "walk.mid"), random_leaps(tmp_path / "leaps.mid")
    run = music("score", "walk.mid", "leaps.mid", "--json", env=without_tensorflow, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    walk_record, leaps_record = json_lines(run.stdout)
    keras = melody_model.load()
    for path, record in ((walk, walk_record), (leaps, leaps_record)):
        labels = record["conditions"]
        prefix = prefix_tokens(labels["style"], labels["meter"], labels["tonic"], labels["mode"])
        log_probs, _ = melody_model.target_log_probs(keras, [encode(read_midi_melody(path))], prefixes=[prefix])
        assert record["scored_events"] == log_probs.size
        assert record["nll"] == pytest.approx(-log_probs.mean(), rel=0.02)
    assert walk_record["nll"] < 0.5 * leaps_record["nll"]  # a scale walk is far likelier than random leaps


def test_score_batch_reports_the_bad_file_and_scores_the_good_ones(tmp_path, without_tensorflow):
    scale_walk(tmp_path / "a.mid")
    random_leaps(tmp_path / "c.mid")
    (tmp_path / "b.mid").write_bytes(b"MThd not midi")
    run = music("score", "a.mid", "b.mid", "c.mid", "--json", env=without_tensorflow, cwd=tmp_path)
    assert run.returncode == 2
    assert [record["file"] for record in json_lines(run.stdout)] == ["a.mid", "c.mid"]
    assert run.stderr.splitlines() == ["error: b.mid: not a readable MIDI file (MidiException)"]


# ------------------------------------------------------------------ wrong-kind inputs: one line, exit 2


def other_app_model() -> Path:
    return next(folder for folder in sorted(shipped_models_root().iterdir())
                if (folder / "config.json").is_file() and folder.name != "music")


@pytest.mark.parametrize("command", ["generate", "score"])
def test_wrong_kind_inputs_are_one_line(command, tmp_path, without_tensorflow):
    other = other_app_model()
    scale_walk(tmp_path / "in.mid")
    (tmp_path / "folder.mid").mkdir()
    target = ["--out", "x.mid"] if command == "generate" else ["in.mid"]
    cases = {
        (*target, "--model", str(other)): f"{other}: a {other.name} model, not a music model",
        (*target, "--model", str(other / "step_int8.tflite")):
            f"{other / 'step_int8.tflite'}: a {other.name} model, not a music model",
        (*target, "--model", str(tmp_path)): f"{tmp_path}: not a model directory (no config.json)",
    }
    if command == "generate":
        cases[("--out", "folder.mid")] = "folder.mid: is a folder; --out needs a file path"
        cases[("--out", "x.mid", "--key", "H", "--style", "irish")] = "--key H: key 'H': expected a note name like C, F#, Bb"
    for argv, message in cases.items():
        run = music(command, *argv, env=without_tensorflow, cwd=tmp_path)
        assert (run.returncode, run.stdout, run.stderr) == (2, "", f"error: {message}\n"), argv
    assert not (tmp_path / "x.mid").exists()


# ------------------------------------------------------------------ start-up


def test_help_is_fast_and_imports_nothing_heavy(tmp_path):
    code = ("import sys, time\nfrom suite.app.registry import build_cli\n"
            "started = time.perf_counter()\nparser = build_cli('music').parser()\n"
            f"for command in {COMMANDS!r}:\n"
            "    try:\n        parser.parse_args([command, '--help'])\n    except SystemExit:\n        pass\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'music21', 'matplotlib') if m in sys.modules)\n"
            "print(heavy, file=sys.stderr)\n")
    run = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}, timeout=60)
    assert run.returncode == 0 and run.stderr.strip() == "[]"
    for command in COMMANDS:
        assert f"usage: python -m apps.music {command}" in run.stdout
    assert min(cpu_seconds(["generate", "--help"], tmp_path) for _ in range(3)) < HELP_SECONDS


def cpu_seconds(argv: list[str], cwd: Path, env: dict | None = None) -> float:
    """CPU seconds (user + system) of one command: its cost without the wait for a core that wall time
    includes on a shared machine (the command is single-threaded, so on an idle machine wall ~ CPU)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = music(*argv, env=env or os.environ.copy(), cwd=cwd)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert run.returncode == 0, run.stderr
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.mark.parametrize("argv", [["generate", "--out", "m.mid", "--seed", "1"],
                                  ["generate", "--out", "m.mid", "--seed", "1", "--backend", "onnx"],
                                  ["score", "m.mid"]])
def test_inference_cold_start_without_tensorflow(argv, tmp_path, without_tensorflow):
    scale_walk(tmp_path / "m.mid")
    assert min(cpu_seconds(argv, tmp_path, without_tensorflow) for _ in range(2)) < COLD_START_SECONDS


# ------------------------------------------------------------------ a killed train resumes

EPOCHS = 12  # enough that the kill lands mid-run on a busy machine; each tiny epoch takes well under a second


def test_killed_train_resumes_in_its_run_folder(tmp_path, monkeypatch):
    """26 s: two train processes, each importing TensorFlow (74-94 s at load average 12-14)."""
    from apps.music import corpus
    from apps.music.presets import PRESETS

    data = write_midi_folder(tmp_path / "midi", 60)
    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "cache"))
    # parsed here, in-process: both train runs read the cache instead of parsing in spawned workers
    corpus.prepare(data, limit=PRESETS["tiny"].config.limit, workers=1, show_progress=False)
    env = {**os.environ,
           "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).resolve().parents[1]),
                                                       os.environ.get("PYTHONPATH")]))}
    argv = [sys.executable, "-m", "apps.music", "train", "--config", "tiny", "--data", str(data), "--name", "resume",
            "--json", "--set", f"epochs={EPOCHS}", "--set", "batch_size=8"]
    run_dir = tmp_path / "runs" / "music" / "resume"
    first = subprocess.Popen(argv, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + PROCESS_TIMEOUT_S
    while not first_epoch_saved(run_dir):
        assert first.poll() is None and time.monotonic() < deadline, "train ended before its first checkpoint"
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    before = history_epochs(run_dir / "history.csv")
    assert before[-1] < EPOCHS - 1, "the run finished before it was killed"

    second = subprocess.run(argv, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=PROCESS_TIMEOUT_S)
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"resuming the run in {Path('runs/music/resume')}" in second.stderr
    epochs = history_epochs(run_dir / "history.csv")
    resumed = epochs[len(before):]
    assert resumed[0] in (before[-1] + 1, before[-1] + 2)  # after the last checkpoint, not from epoch 0
    assert epochs == sorted(set(epochs)) and epochs[-1] == EPOCHS - 1  # each epoch once, to the end
    record = json_lines(second.stdout)[-1]
    assert record["model_dir"] == "runs/music/resume/model"
    assert (tmp_path / record["model_dir"] / "model.keras").is_file()
    config = json.loads((tmp_path / record["model_dir"] / "config.json").read_text())
    assert config["settings"]["epochs"] == EPOCHS and config["data"]["data_dir"] == str(data)
